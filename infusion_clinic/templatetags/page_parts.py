"""The parts every list page repeats, written once (a builtin library: no template loads it).

    {% list_table rows icon="inbox" testid="waiting-list" pager=page %}
      <thead>…</thead>
      <tbody>{% for r in rows %}<tr>…</tr>{% endfor %}</tbody>
    {% empty %}
      <p class="mb-0">Nothing here yet. What to do next.</p>
    {% endlist_table %}

renders the table in its card (`small=True`: inside a card already, a compact table; `hover=True`:
rows highlight there too; `region="…"`: a scrollable region with that name, for keyboard users) with
the pager under it, or, when `rows` is empty, the empty state with its icon (no icon: the text alone;
`empty_testid` names it for tests).

    {% empty_state "search" testid="no-results" %}<p>…</p>{% endempty_state %}

is the empty state by itself.
"""

from django import template
from django.template.base import token_kwargs

register = template.Library()


def _render(context, name, values):
    with context.push(**values):
        return context.template.engine.get_template(name).render(context)


class ListTableNode(template.Node):
    def __init__(self, rows, options, nodelist, nodelist_empty):
        self.rows, self.options = rows, options
        self.nodelist, self.nodelist_empty = nodelist, nodelist_empty

    def render(self, context):
        options = {key: value.resolve(context) for key, value in self.options.items()}
        if self.rows.resolve(context):
            return _render(context, "_list_table.html", {**options, "table": self.nodelist.render(context)})
        content = self.nodelist_empty.render(context)
        if not options.get("icon"):
            return content
        empty = {"icon": options["icon"], "testid": options.get("empty_testid", ""), "content": content}
        return _render(context, "_empty_state.html", empty)


@register.tag
def list_table(parser, token):
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError("{% list_table %} needs the rows: {% list_table rows icon=… %}")
    rows = parser.compile_filter(bits[1])
    options = token_kwargs(bits[2:], parser)
    if len(options) != len(bits) - 2:
        raise template.TemplateSyntaxError("{% list_table %} takes the rows, then name=value options only.")
    nodelist = parser.parse(("empty", "endlist_table"))
    nodelist_empty = template.NodeList()
    if parser.next_token().contents == "empty":
        nodelist_empty = parser.parse(("endlist_table",))
        parser.delete_first_token()
    return ListTableNode(rows, options, nodelist, nodelist_empty)


@register.simple_block_tag(takes_context=True)
def empty_state(context, content, icon, testid=""):
    return _render(context, "_empty_state.html", {"icon": icon, "testid": testid, "content": content})
