"""The events app's pages, one module per part of the site: listings (home, cities, mine),
a tweetup's page and RSVPs, organizing, and the live wall. Shared page parts are in
events/parts.py."""
