"""English pages write dates the British way (« 13 June 2019 », « 13/06/2019 »): the page
declares en-GB, and Django's « en » formats are American (« June 13, 2019 »)."""

from django.conf.locale.en_GB.formats import *  # noqa: F403
