"""Generated from proto/ by clients/python/scripts/gen.sh. Do not edit."""
