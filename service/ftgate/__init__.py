"""ftgate: should this LLM project be fine-tuned, and if not, what should it do instead?"""

__version__ = "1.0.0"
