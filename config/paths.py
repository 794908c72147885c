"""Where the packaged catalogue and sample data live."""

from pathlib import Path

CONFIG_DIR = Path(__file__).resolve().parent
CATALOGUE_DIR = CONFIG_DIR / "catalogue"
SAMPLE_DIR = CONFIG_DIR / "sample"
COMMODITIES_CSV = CATALOGUE_DIR / "commodities.csv"
PLACES_CSV = CATALOGUE_DIR / "places.csv"
SAMPLE_PRICES_CSV = SAMPLE_DIR / "prices.csv"
SAMPLE_TRADE_REPORTS_CSV = SAMPLE_DIR / "trade_reports.csv"
# What the demo serves on 127.0.0.1 as source feeds: a WFP country file, a news feed, articles.
SAMPLE_FEEDS_DIR = SAMPLE_DIR / "feeds"
