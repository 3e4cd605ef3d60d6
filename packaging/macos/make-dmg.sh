#!/usr/bin/env bash
# Build dist/bgdesk-VERSION.dmg from dist/bgdesk.app (made by bgdesk.spec on macOS).
#
#   python3 tasks.py package            # on a Mac: dist/bgdesk.app
#   packaging/macos/make-dmg.sh
#
# Optional signing and notarisation, when the environment names an identity:
#   BGDESK_SIGN_IDENTITY="Developer ID Application: NAME (TEAMID)"
#   BGDESK_NOTARY_PROFILE=profile-made-with-notarytool-store-credentials
set -euo pipefail
cd "$(dirname "$0")/../.."

version=$(sed -n 's/^__version__ = "\(.*\)"/\1/p' bgdesk/__init__.py)
app=dist/bgdesk.app
dmg=dist/bgdesk-${version}.dmg
[ -d "$app" ] || { echo "make-dmg: $app is missing; run python3 tasks.py package first" >&2; exit 1; }

if [ -n "${BGDESK_SIGN_IDENTITY:-}" ]; then
  codesign --force --deep --options runtime --timestamp \
    --entitlements packaging/macos/entitlements.plist \
    --sign "$BGDESK_SIGN_IDENTITY" "$app"
fi

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
cp -R "$app" "$stage/"
ln -s /Applications "$stage/Applications"   # drag the app onto this link to install
rm -f "$dmg"
hdiutil create -volname "bgdesk ${version}" -srcfolder "$stage" -fs HFS+ -format UDZO \
  -imagekey zlib-level=9 "$dmg"

if [ -n "${BGDESK_SIGN_IDENTITY:-}" ]; then
  codesign --sign "$BGDESK_SIGN_IDENTITY" --timestamp "$dmg"
fi
if [ -n "${BGDESK_NOTARY_PROFILE:-}" ]; then
  xcrun notarytool submit "$dmg" --keychain-profile "$BGDESK_NOTARY_PROFILE" --wait
  xcrun stapler staple "$dmg"
fi
echo "Built $dmg"
