"""The languages ftgate answers in (every text of an Assessment exists in each): English, the
default, and French, the language of the source article."""

LANGUAGES = ("en", "fr")
DEFAULT_LANGUAGE = "en"
