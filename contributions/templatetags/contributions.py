from django import template

from contributions.models import Proposal

register = template.Library()


@register.simple_tag
def pending_proposals() -> int:
    """How many proposals wait for a moderator (shown on the admin's index)."""
    return Proposal.objects.pending().count()
