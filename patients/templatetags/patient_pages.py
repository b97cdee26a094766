from django import template

from patients import hooks

register = template.Library()


@register.simple_tag
def patient_page_fragments(slot):
    """{% patient_page_fragments "patient_detail" as fragments %}: templates higher apps add to a slot
    of the patient's pages (patients/hooks.py), to {% include %} one by one."""
    return list(hooks.page_fragments.get(slot, ()))
