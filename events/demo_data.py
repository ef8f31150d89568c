"""The demo's data for `manage.py seed_demo` (events/management/commands/seed_demo.py):
cities, X users (the X emulator's demo accounts among them), and tweetups past and upcoming
with their topics and RSVPs. Times are relative to today in each city.

Data only: it imports nothing from the development emulator (xemulator/), as seed_demo runs
where it isn't installed; tests/events/test_seed_demo.py checks the two lists of accounts
agree.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from events.models import City
from events.services import TweetupDetails

# (slug, name, GeoNames id): zone, country, region and coordinates come from the gazetteer.
CITIES = [
    ("berlin", "Berlin", 2950159),
    ("london", "London", 2643743),
    ("new-york", "New York", 5128581),
    ("san-francisco", "San Francisco", 5391959),
    ("austin", "Austin", 4671654),
    ("toronto", "Toronto", 6167865),
    ("sao-paulo", "São Paulo", 3448439),
    ("lagos", "Lagos", 2332459),
    ("nairobi", "Nairobi", 184745),
    ("mumbai", "Mumbai", 1275339),
    ("tokyo", "Tokyo", 1850147),
    ("sydney", "Sydney", 2147714),
]

# The X emulator's demo accounts (xemulator/demo.py), so that signing in there as one of them
# lands on the seeded user: (X id, handle, display name). Written out rather than imported,
# as seed_demo only writes rows and runs where the emulator isn't installed;
# tests/events/test_seed_demo.py checks the two lists agree.
EMULATOR_X_USERS = [
    ("1460000000000000001", "maya_okafor", "Maya Okafor"),
    ("1460000000000000002", "jonasweber", "Jonas Weber"),
    ("1460000000000000003", "priya_codes", "Priya Raman"),
    ("1460000000000000004", "luciafdez", "Lucía Fernández"),
    ("1460000000000000005", "samcarter", "Sam Carter"),
    ("1460000000000000006", "kenji_sato", "Kenji Sato"),
]
# Protected on X (as in the emulator): listed as going only to people who follow them.
PROTECTED_X_USERS = {"kenji_sato"}
# People in the demo who are not among the emulator's accounts.
EXTRA_X_USERS = [
    ("1402881934567219201", "tomhughes_ldn", "Tom Hughes"),
    ("1417765803210473472", "mayapatel", "Maya Patel"),
    ("1425519867442716673", "joealvarez_sf", "Joe Alvarez"),
    ("1448103556287127557", "priyasingh_to", "Priya Singh"),
    ("1459987312665444354", "lucasoliveira", "Lucas Oliveira"),
    ("1478215440096808963", "wanjikukamau", "Wanjiku Kamau"),
    ("1503647792016261125", "samoconnor", "Sam O'Connor"),
    ("1516092274401030144", "lenavogel", "Lena Vogel"),
    ("1528873310984339457", "marcorossi", "Marco Rossi"),
    ("1531447096237682690", "hannahlee", "Hannah Lee"),
]


def demo_profiles() -> list[dict]:
    """X profiles as /2/users/me returns them: the emulator's demo accounts, then the rest."""
    return [
        {
            "id": x_id,
            "username": handle,
            "name": name,
            "profile_image_url": f"https://pbs.twimg.com/profile_images/{x_id}/{handle}_normal.jpg",
            **({"protected": True} if handle in PROTECTED_X_USERS else {}),
        }
        for x_id, handle, name in EMULATOR_X_USERS + EXTRA_X_USERS
    ]


@dataclass(frozen=True)
class DemoTweetup:
    slug: str
    city: str
    organizer: str
    title: str
    venue_name: str
    venue_address: str
    day: int  # days from today, in the city's time zone; negative is past
    start: str  # local wall-clock time, HH:MM
    hours: float
    hashtag: str
    capacity: int | None = None
    going: tuple[str, ...] = ()  # in RSVP order: past capacity they join the waitlist
    maybe: tuple[str, ...] = ()
    cancel_reason: str = ""

    def details(self, city: City, today: date) -> TweetupDetails:
        wall = time.fromisoformat(self.start)
        starts_at = datetime.combine(today + timedelta(days=self.day), wall, tzinfo=city.tzinfo)
        return TweetupDetails(
            city=city,
            title=self.title,
            venue_name=self.venue_name,
            venue_address=self.venue_address,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=self.hours),
            hashtag=self.hashtag,
            capacity=self.capacity,
            description=(
                f"{self.title}: come and meet the people you talk to on X. "
                f"Tweet with #{self.hashtag} and your tweets show up on this page."
            ),
        )


# Topics of the demo tweetups (slugs from migration 0010's list); the rest get none.
DEMO_TOPICS = {
    "kreuzberg-tech-drinks": ("tech", "food-and-drink"),
    "breakfast-by-the-spree": ("food-and-drink",),
    "south-bank-walk-and-talk": ("art",),
    "nyc-media-tweetup": ("media",),
    "tacos-in-the-mission": ("food-and-drink",),
    "sf-founders-breakfast": ("startups", "tech"),
    "lady-bird-lake-walk": ("running",),
    "lagos-tech-tweetup": ("tech", "startups"),
    "yaba-book-swap": ("books",),
    "ihub-tweetup": ("tech",),
    "bandra-startup-tweetup": ("startups",),
    "akihabara-night-out": ("gaming",),
    "bondi-to-coogee-walk": ("running", "photography"),
}

TWEETUPS = [
    # Berlin
    DemoTweetup(
        "kreuzberg-tech-drinks", "berlin", "jonasweber", "Kreuzberg Tech Drinks",
        "Café Kotti", "Adalbertstraße 96, 10999 Berlin", 3, "19:00", 3, "KreuzbergDrinks",
        going=("lenavogel", "marcorossi", "hannahlee", "tomhughes_ldn"), maybe=("joealvarez_sf",),
    ),
    DemoTweetup(
        "breakfast-by-the-spree", "berlin", "lenavogel", "Breakfast by the Spree",
        "Holzmarkt 25", "Holzmarktstraße 25, 10243 Berlin", 10, "09:30", 2, "SpreeBreakfast",
        capacity=4,
        going=("jonasweber", "marcorossi", "tomhughes_ldn", "hannahlee", "kenji_sato"),
    ),
    DemoTweetup(
        "berlin-tweetup-winter-edition", "berlin", "jonasweber", "Berlin Tweetup: Winter Edition",
        "c-base", "Rungestraße 20, 10179 Berlin", -21, "19:00", 4, "BerlinTweetup",
        going=("lenavogel", "marcorossi", "tomhughes_ldn"),
    ),
    # London
    DemoTweetup(
        "shoreditch-pub-tweetup", "london", "tomhughes_ldn", "Shoreditch Pub Tweetup",
        "The Old Blue Last", "38 Great Eastern St, London EC2A 3ES", 5, "18:30", 3,
        "ShoreditchTweetup", going=("marcorossi", "jonasweber", "hannahlee"),
    ),
    DemoTweetup(
        "south-bank-walk-and-talk", "london", "marcorossi", "South Bank Walk & Talk",
        "Royal Festival Hall foyer", "Belvedere Rd, London SE1 8XX", 17, "11:00", 2.5,
        "SouthBankWalk", capacity=12, going=("tomhughes_ldn", "mayapatel"), maybe=("lenavogel",),
    ),
    DemoTweetup(
        "london-tweetup-classic", "london", "tomhughes_ldn", "London Tweetup Classic",
        "The Hope", "15 Tottenham St, London W1T 2AJ", -14, "19:00", 3, "LondonTweetup",
        going=("marcorossi", "jonasweber", "hannahlee"),
    ),
    # New York
    DemoTweetup(
        "coffee-in-bryant-park", "new-york", "mayapatel", "Coffee in Bryant Park",
        "Bryant Park Café", "40 W 40th St, New York, NY 10018", 2, "08:00", 1.5,
        "BryantParkCoffee", going=("joealvarez_sf", "hannahlee", "priyasingh_to"),
    ),
    DemoTweetup(
        "brooklyn-rooftop-tweetup", "new-york", "mayapatel", "Brooklyn Rooftop Tweetup",
        "Westlight", "111 N 12th St, Brooklyn, NY 11249", 12, "18:00", 3, "BKRooftopTweetup",
        capacity=5,
        going=(
            "priyasingh_to", "hannahlee", "joealvarez_sf", "samcarter",
            "marcorossi", "tomhughes_ldn", "samoconnor",
        ),
    ),
    DemoTweetup(
        "nyc-media-tweetup", "new-york", "mayapatel", "Media Folks Tweetup",
        "Ace Hotel Lobby", "20 W 29th St, New York, NY 10001", -30, "18:30", 3,
        "NYCMediaTweetup", going=("hannahlee", "priyasingh_to"),
    ),
    # San Francisco
    DemoTweetup(
        "tacos-in-the-mission", "san-francisco", "joealvarez_sf", "Tacos in the Mission",
        "La Taqueria", "2889 Mission St, San Francisco, CA 94110", 4, "12:00", 1.5,
        "MissionTacoTweetup", going=("hannahlee", "mayapatel"),
    ),
    DemoTweetup(
        "dolores-park-picnic", "san-francisco", "hannahlee", "Dolores Park Picnic",
        "Dolores Park, by the tennis courts", "Dolores St & 19th St, San Francisco, CA 94114",
        20, "13:00", 3, "DoloresPicnic",
        going=("joealvarez_sf", "samcarter", "kenji_sato"), maybe=("samoconnor",),
    ),
    DemoTweetup(
        "sf-founders-breakfast", "san-francisco", "hannahlee", "Founders Breakfast",
        "Sightglass Coffee", "270 7th St, San Francisco, CA 94103", -7, "08:30", 1.5,
        "SFFoundersBreakfast", going=("joealvarez_sf", "mayapatel"),
    ),
    # Austin
    DemoTweetup(
        "austin-bbq-tweetup", "austin", "samcarter", "Austin BBQ Tweetup",
        "Terry Black's Barbecue", "1003 Barton Springs Rd, Austin, TX 78704", 6, "18:00", 3,
        "ATXtweetup", going=("joealvarez_sf", "hannahlee", "mayapatel"),
    ),
    DemoTweetup(
        "pre-festival-warm-up", "austin", "samcarter", "Pre-festival Warm-up",
        "Easy Tiger", "614 E 6th St, Austin, TX 78701", 25, "17:00", 4, "ATXWarmup",
        capacity=3, going=("joealvarez_sf", "hannahlee", "mayapatel", "marcorossi"),
    ),
    DemoTweetup(
        "lady-bird-lake-walk", "austin", "samcarter", "Lady Bird Lake Walk",
        "Auditorium Shores", "800 W Riverside Dr, Austin, TX 78704", -10, "09:00", 2,
        "LadyBirdWalk", going=("joealvarez_sf",),
    ),
    # Toronto
    DemoTweetup(
        "distillery-district-tweetup", "toronto", "priyasingh_to", "Distillery District Tweetup",
        "Mill St. Brewery", "21 Tank House Ln, Toronto, ON M5A 3C4", 8, "18:30", 3,
        "TOTweetup", going=("mayapatel", "marcorossi"),
    ),
    DemoTweetup(
        "kensington-market-brunch", "toronto", "priyasingh_to", "Kensington Market Brunch",
        "Moonbean Coffee", "30 St Andrew St, Toronto, ON M5T 1K6", 15, "11:00", 2,
        "KensingtonBrunch", capacity=8, going=("mayapatel",), maybe=("samcarter",),
    ),
    DemoTweetup(
        "toronto-winter-meetup", "toronto", "priyasingh_to", "Winter Meetup by the Lake",
        "Amsterdam BrewHouse", "245 Queens Quay W, Toronto, ON M5J 2K9", -35, "18:00", 3,
        "TOWinterMeetup", going=("mayapatel",),
    ),
    # São Paulo
    DemoTweetup(
        "cafe-na-paulista", "sao-paulo", "lucasoliveira", "Café na Paulista",
        "Casa das Rosas", "Av. Paulista, 37 - Bela Vista, São Paulo", 3, "19:00", 3,
        "PaulistaTweetup", going=("luciafdez", "marcorossi", "hannahlee"),
    ),
    DemoTweetup(
        "vila-madalena-bar-night", "sao-paulo", "luciafdez", "Vila Madalena Bar Night",
        "Bar Astor", "R. Delfina, 163 - Vila Madalena, São Paulo", 18, "20:00", 3,
        "VilaMadalenaTweetup", capacity=6, going=("lucasoliveira", "marcorossi", "jonasweber"),
    ),
    DemoTweetup(
        "tweetup-sp-retro", "sao-paulo", "lucasoliveira", "Tweetup SP Retrô",
        "Bar Brahma", "Av. São João, 677 - Centro, São Paulo", -12, "19:30", 3, "TweetupSP",
        going=("luciafdez", "marcorossi"),
    ),
    # Lagos
    DemoTweetup(
        "lagos-tech-tweetup", "lagos", "maya_okafor", "Lagos Tech Tweetup",
        "Co-Creation Hub", "294 Herbert Macaulay Way, Yaba, Lagos", 7, "17:00", 3,
        "LagosTechTweetup", capacity=4,
        going=("wanjikukamau", "priya_codes", "marcorossi", "jonasweber"),
    ),
    DemoTweetup(
        "lekki-beach-hangout", "lagos", "maya_okafor", "Lekki Beach Hangout",
        "Landmark Beach", "Water Corporation Rd, Victoria Island, Lagos", 22, "15:00", 3,
        "LekkiHangout", going=("wanjikukamau",), maybe=("hannahlee",),
    ),
    DemoTweetup(
        "yaba-book-swap", "lagos", "maya_okafor", "Book Swap at Jazzhole",
        "Jazzhole", "168 Awolowo Rd, Ikoyi, Lagos", -5, "16:00", 2, "LagosBookSwap",
        going=("wanjikukamau",),
    ),
    # Nairobi
    DemoTweetup(
        "karura-forest-morning-walk", "nairobi", "wanjikukamau", "Karura Forest Morning Walk",
        "Karura Forest, Limuru Road gate", "Limuru Rd, Nairobi", 9, "08:00", 3, "KaruraWalk",
        going=("maya_okafor", "priya_codes"),
    ),
    DemoTweetup(
        "rooftop-sundowner", "nairobi", "wanjikukamau", "Rooftop Sundowner",
        "The Alchemist", "Parklands Rd, Westlands, Nairobi", 14, "17:30", 3, "NairobiSundowner",
        going=("maya_okafor",),
        cancel_reason="The venue closed for renovation; we'll pick a new date soon.",
    ),
    DemoTweetup(
        "ihub-tweetup", "nairobi", "wanjikukamau", "iHub Tweetup",
        "iHub", "Senteu Plaza, Galana Rd, Nairobi", -20, "18:00", 3, "NairobiTweetup",
        going=("maya_okafor", "priya_codes"),
    ),
    # Mumbai
    DemoTweetup(
        "chai-on-marine-drive", "mumbai", "priya_codes", "Chai on Marine Drive",
        "Marine Drive promenade, near NCPA", "Marine Dr, Nariman Point, Mumbai", 4, "07:00", 1.5,
        "MarineDriveChai", going=("kenji_sato",),
    ),
    DemoTweetup(
        "bandra-startup-tweetup", "mumbai", "priya_codes", "Bandra Startup Tweetup",
        "Bonobo", "Kenilworth Mall, Linking Rd, Bandra West, Mumbai", 11, "19:00", 3,
        "BandraTweetup", going=("maya_okafor", "wanjikukamau", "samoconnor"),
    ),
    DemoTweetup(
        "monsoon-meetup", "mumbai", "priya_codes", "Monsoon Meetup",
        "Prithvi Café", "20 Juhu Church Rd, Juhu, Mumbai", -40, "17:00", 3, "MonsoonMeetup",
        going=("kenji_sato",),
    ),
    # Tokyo
    DemoTweetup(
        "shibuya-tweetup", "tokyo", "kenji_sato", "Shibuya Tweetup",
        "Fuglen Tokyo", "1-16-11 Tomigaya, Shibuya City, Tokyo", 6, "19:30", 2.5,
        "ShibuyaTweetup", going=("samoconnor", "priya_codes"),
    ),
    DemoTweetup(
        "hanami-picnic-yoyogi", "tokyo", "kenji_sato", "Hanami Picnic in Yoyogi Park",
        "Yoyogi Park", "2-1 Yoyogikamizonocho, Shibuya City, Tokyo", 30, "12:00", 4,
        "YoyogiHanami", going=("samoconnor",), maybe=("jonasweber", "lenavogel"),
    ),
    DemoTweetup(
        "akihabara-night-out", "tokyo", "kenji_sato", "Akihabara Night Out",
        "Pasela Resorts Akiba", "1-1-3 Sotokanda, Chiyoda City, Tokyo", -16, "20:00", 3,
        "AkibaNight", going=("samoconnor",),
    ),
    # Sydney
    DemoTweetup(
        "harbour-tweetup", "sydney", "samoconnor", "Harbour Tweetup",
        "Opera Bar", "Macquarie St, Sydney NSW 2000", 5, "18:00", 3, "SydneyTweetup",
        going=("kenji_sato", "hannahlee"),
    ),
    DemoTweetup(
        "bondi-to-coogee-walk", "sydney", "samoconnor", "Bondi to Coogee Coastal Walk",
        "Bondi Icebergs", "1 Notts Ave, Bondi Beach NSW 2026", 13, "07:30", 2.5, "BondiWalk",
        capacity=3, going=("kenji_sato", "hannahlee", "priya_codes"),
    ),
    DemoTweetup(
        "surry-hills-drinks", "sydney", "samoconnor", "Surry Hills Drinks",
        "The Winery", "285A Crown St, Surry Hills NSW 2010", -9, "18:00", 3,
        "SurryHillsDrinks", going=("kenji_sato",),
    ),
]  # fmt: skip
