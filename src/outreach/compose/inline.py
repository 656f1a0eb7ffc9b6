"""CSS inlined into the HTML part by premailer, and a check that two HTML parts look alike."""

import logging


def inline_css(html: str) -> str:
    """Inline the `<style>` rules into the tags with premailer (kept for `@media`)."""
    from premailer import Premailer

    return str(
        Premailer(
            html,
            strip_important=False,
            disable_validation=True,
            allow_network=False,
            keep_style_tags=False,
            remove_classes=False,
            cssutils_logging_level=logging.CRITICAL,
        ).transform(pretty_print=False)
    )


def styles(html: str) -> list[tuple[str, str]]:
    """Each element's tag and style attribute, in document order (what inlining sets)."""
    import lxml.html

    root = lxml.html.document_fromstring(html)
    return [(str(element.tag), element.get("style", "")) for element in root.iter()]


def same_document(first: str, second: str) -> bool:
    """True when both HTML documents parse to the same elements, attributes, styles and text."""
    import lxml.html

    def canonical(html: str) -> bytes:
        return bytes(lxml.html.tostring(lxml.html.document_fromstring(html), encoding="utf-8"))

    return canonical(first) == canonical(second)
