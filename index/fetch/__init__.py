"""The paper's feeds and sitemaps → article files the indexer reads, fetched politely.

    summary = fetch_sources(["https://baohatinh.vn/rss/home.rss"], Path("var/articles"))
    if summary.changed: ...  # bring the index up to date
"""

from .fetcher import fetch_sources, source_status
from .settings import FetchSettings
from .state import SourceStatus
from .summary import FetchSummary, SourceResult

__all__ = ["FetchSettings", "FetchSummary", "SourceResult", "SourceStatus", "fetch_sources", "source_status"]
