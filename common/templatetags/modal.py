"""{% modal_link url "Label" class="btn btn-sm" id="credit-last" data_key="c" %}: a link that opens `url` in
the page's modal (HTMX GET into #modal) and, without JavaScript, as a page of its own. Keyword arguments
become attributes (underscores turn into hyphens: data_key -> data-key); everything is escaped."""

from django import template
from django.utils.html import format_html, format_html_join

register = template.Library()


@register.simple_tag
def modal_link(url, label, **attrs):
    pairs = ((name.replace("_", "-"), value) for name, value in attrs.items())
    extra = format_html_join("", ' {}="{}"', pairs)
    return format_html('<a href="{0}" hx-get="{0}" hx-target="#modal"{1}>{2}</a>', url, extra, label)
