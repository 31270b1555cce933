"""Google Drive's interstitial page for large files.

For files it cannot virus-scan (anything over ~100 MB), `drive.google.com/uc?export=download&id=ID` answers
with an HTML page instead of the file. Newer pages carry a form (`id="download-form"`, action
`drive.usercontent.google.com/download`, hidden inputs `id`, `export`, `confirm`, `uuid`); older ones a link
or script with `confirm=TOKEN`. Submitting the form (a GET) or following the link yields the file.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

_TOKEN = re.compile(r"confirm=([0-9A-Za-z_-]+)")


class _PageParser(HTMLParser):
    """Collects the download form's action and inputs, and links that carry a confirm token."""

    def __init__(self) -> None:
        super().__init__()
        self.form_action: str | None = None
        self.form_inputs: list[tuple[str, str]] = []
        self.confirm_links: list[str] = []
        self._in_form = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and self.form_action is None and (a.get("id") == "download-form" or "download" in a.get(
                "action", "")):
            self.form_action = a.get("action", "")
            self._in_form = True
        elif tag == "input" and self._in_form and a.get("name"):
            self.form_inputs.append((a["name"], a.get("value", "")))
        elif tag == "a" and "confirm=" in a.get("href", ""):
            self.confirm_links.append(a["href"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._in_form = False


def confirm_url(page: str, page_url: str) -> str | None:
    """The URL that fetches the file past the interstitial `page` served at `page_url`, or None.

    None means the page is not a confirmation page (quota exceeded, file not shared, sign-in, ...).
    """
    parser = _PageParser()
    parser.feed(page)
    if parser.form_action is not None and parser.form_inputs:
        return urljoin(page_url, parser.form_action) + "?" + urlencode(parser.form_inputs)
    if parser.confirm_links:
        return urljoin(page_url, parser.confirm_links[0])
    match = _TOKEN.search(page)
    if match:
        return _with_query(page_url, confirm=match.group(1))
    return None


def _with_query(url: str, **params: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k not in params] + list(params.items())
    return urlunsplit(parts._replace(query=urlencode(query)))
