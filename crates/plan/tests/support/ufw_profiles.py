"""Checks ufw application profiles with ufw's own parser.

Usage: /usr/bin/python3 ufw_profiles.py DIR EXPECTED_COUNT
Loads every profile in DIR as ufw does (ufw.applications.get_profiles, which warns and skips
what it cannot read) and verifies each (verify_profile parses every port entry as a rule).
Exits non-zero on any warning, on a profile that fails to verify, or on a count mismatch.
"""
import gettext
import sys

gettext.install("ufw")  # ufw's modules call _() without installing it
import ufw.applications as apps  # noqa: E402

warnings = []
apps.warn = lambda message: warnings.append(str(message))
profiles = apps.get_profiles(sys.argv[1])
for name, profile in profiles.items():
    apps.verify_profile(name, profile)
if warnings:
    sys.exit("ufw warned: " + "; ".join(warnings))
if len(profiles) != int(sys.argv[2]):
    sys.exit("expected %s profiles, ufw read %d: %s" % (sys.argv[2], len(profiles), sorted(profiles)))
print("ok:", sorted(profiles))
