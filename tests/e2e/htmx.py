"""Waiting for htmx in browser tests.

htmx wires up swapped-in content (its hx-get, hx-trigger, ...) when the swap *settles*, 20 ms after the new
HTML is in the page; until then the new content carries ``htmx-added`` (and the target ``htmx-settling``).
A test that acts on swapped-in controls the moment they appear can act before they listen: wait first.
"""

from playwright.sync_api import expect


def settled(page):
    """Wait until no htmx request is in flight and every swap has settled."""
    expect(page.locator(".htmx-added, .htmx-settling, .htmx-swapping, .htmx-request")).to_have_count(0)
