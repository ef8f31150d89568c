"""GET /2/tweets/search/recent, what it finds: a hashtag matched exactly and in any case,
OR groups, keywords, retweets in or out, no protected accounts, and nothing found as a
zero count."""

from tests.xemulator.conftest import ids, post


def test_a_hashtag_matches_exactly_and_in_any_case(x_emulator, x_search):
    typed = post(x_emulator, "Hello #BerlinTweetup")
    lower = post(x_emulator, "hi #berlintweetup", "jonasweber")
    post(x_emulator, "#BerlinTweetups is another one")
    post(x_emulator, "BerlinTweetup without the sign")
    post(x_emulator, "#Berlin alone")

    assert ids(x_search("#BERLINTWEETUP")) == [lower, typed]


def test_or_groups_and_retweets(x_emulator, x_search):
    austin = post(x_emulator, "Tacos at #ATXtweetup")
    berlin = post(x_emulator, "Currywurst at #BerlinTweetup", "jonasweber")
    post(x_emulator, "Elsewhere #SydneyTweetup")
    retweet = x_emulator.control.post_tweet("priya_codes", retweet_of=austin)["id"]
    typed_retweet = post(x_emulator, "RT @jonasweber: #BerlinTweetup", "samcarter", is_retweet=True)

    batched = "(#ATXtweetup OR #BerlinTweetup)"
    assert ids(x_search(f"{batched} -is:retweet")) == [berlin, austin]
    assert ids(x_search(f"{batched} is:retweet")) == [typed_retweet, retweet]
    assert ids(x_search("#ATXtweetup OR #BerlinTweetup #SydneyTweetup")) == [retweet, austin]
    assert ids(x_search("#BerlinTweetup -from:samcarter")) == [berlin]


def test_keywords_are_optional_and_combine_with_and(x_emulator, x_search):
    keyword = post(x_emulator, "Tonight: TWEETUP at #Kreuzberg")
    without = post(x_emulator, "No such word at #Kreuzberg")

    assert ids(x_search("tweetup #kreuzberg")) == [keyword]
    assert ids(x_search("#kreuzberg -tweetup")) == [without]
    assert ids(x_search("#kreuzberg")) == [without, keyword]


def test_protected_accounts_are_not_found(x_emulator, x_search):
    hidden = post(x_emulator, "Quiet #Tokyo", "kenji_sato")  # a protected demo account

    assert ids(x_search("#Tokyo")) == []
    x_emulator.control.update_user("1460000000000000006", protected=False)
    assert ids(x_search("#Tokyo")) == [hidden]


def test_no_results_is_just_a_zero_count(x_emulator, x_search):
    post(x_emulator, "#Something")

    response = x_search("#Nothing", expansions="author_id")

    assert response.json() == {"meta": {"result_count": 0}}
