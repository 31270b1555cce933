"""Reading Google Drive's virus-scan interstitial."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from engine.weights.drive import confirm_url
from engine.weights.registry import drive

PAGE_URL = drive("1EM87UquaoQmk17Q8d5kYIAHqu0dkYqdT")


def test_download_form_is_submitted_with_its_hidden_fields():
    page = (
        '<form id="download-form" action="https://drive.usercontent.google.com/download" method="get">'
        '<input type="submit" value="Download anyway"/>'
        '<input type="hidden" name="id" value="1EM87UquaoQmk17Q8d5kYIAHqu0dkYqdT">'
        '<input type="hidden" name="export" value="download"><input type="hidden" name="confirm" value="t">'
        '<input type="hidden" name="uuid" value="abc-123"></form>'
    )
    url = urlsplit(confirm_url(page, PAGE_URL))
    assert (url.scheme, url.netloc, url.path) == ("https", "drive.usercontent.google.com", "/download")
    assert parse_qs(url.query) == {"id": ["1EM87UquaoQmk17Q8d5kYIAHqu0dkYqdT"], "export": ["download"],
                                   "confirm": ["t"], "uuid": ["abc-123"]}


def test_old_confirm_link_is_followed_and_unescaped():
    page = '<a id="uc-download-link" href="/uc?export=download&amp;confirm=Xy_9&amp;id=ID">Download anyway</a>'
    assert confirm_url(page, PAGE_URL) == "https://drive.google.com/uc?export=download&confirm=Xy_9&id=ID"


def test_bare_token_in_a_script_is_added_to_the_url():
    page = "<script>var u = '/uc?export=download\\u0026confirm=AbC1\\u0026id=ID';</script>"
    query = parse_qs(urlsplit(confirm_url(page, PAGE_URL)).query)
    assert query["confirm"] == ["AbC1"] and query["id"] == ["1EM87UquaoQmk17Q8d5kYIAHqu0dkYqdT"]


def test_other_pages_have_no_way_through():
    assert confirm_url("<html><body>Too many users have viewed or downloaded this file recently.</body></html>",
                       PAGE_URL) is None
