"""For cron (daily): e-mail the moderators the proposals waiting for them, and erase the
contributors' e-mails older than CONTRIBUTION_EMAIL_DAYS (90 days) on undecided proposals."""

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.core.management.base import BaseCommand
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import ngettext

from contributions.models import Proposal


class Command(BaseCommand):
    help = "E-mail moderators the pending proposals; erase contributors' e-mails after 90 days."

    def add_arguments(self, parser):
        parser.add_argument(
            "--site",
            default="",
            help="the site's address for links in the e-mail (https://tiers-lieux.example.fr)",
        )

    def handle(self, *args, site, **options):
        limit = timezone.now() - datetime.timedelta(days=settings.CONTRIBUTION_EMAIL_DAYS)
        erased = Proposal.objects.filter(created_at__lt=limit).exclude(email="").update(email="")
        pending = list(Proposal.objects.pending().select_related("place").order_by("created_at"))
        moderators = list(
            get_user_model()
            .objects.filter(is_active=True)
            .filter(
                Q(is_superuser=True)
                | Q(groups__permissions__codename="moderate_proposal")
                | Q(user_permissions__codename="moderate_proposal")
            )
            .exclude(email="")
            .values_list("email", flat=True)
            .distinct()
        )
        sent = 0
        if pending and moderators:
            with translation.override(settings.LANGUAGE_CODE):
                subject = ngettext(
                    "%(count)d proposition attend une décision",
                    "%(count)d propositions attendent une décision",
                    len(pending),
                ) % {"count": len(pending)}
                body = render_to_string(
                    "contributions/email/digest.txt",
                    {
                        "proposals": pending,
                        "queue": site.rstrip("/")
                        + reverse("admin:contributions_proposal_changelist")
                        + "?status__exact=en-attente",
                    },
                )
            send_mail(subject, body, None, moderators)
            sent = len(moderators)
        self.stdout.write(
            f"{len(pending)} pending proposal(s), digest sent to {sent} moderator(s); "
            f"{erased} contributor e-mail(s) older than {settings.CONTRIBUTION_EMAIL_DAYS} days "
            "erased."
        )
