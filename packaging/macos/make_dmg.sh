#!/usr/bin/env bash
# Wrap PyInstaller's BidDesk.app in a compressed, drag-to-Applications disk image.
#
#   packaging/macos/make_dmg.sh build/pyinstaller/dist/BidDesk.app build/installers/BidDesk-0.1.0.dmg
#
# build.py runs this on macOS after freezing. Signing is optional: with CODESIGN_IDENTITY set
# (a "Developer ID Application: ..." identity in the keychain) the app is signed with the
# hardened runtime before it goes into the image; notarising is then `xcrun notarytool submit
# <dmg> --keychain-profile <profile> --wait` followed by `xcrun stapler staple <dmg>`.
set -euo pipefail

app=${1:?usage: make_dmg.sh BidDesk.app OUT.dmg}
dmg=${2:?usage: make_dmg.sh BidDesk.app OUT.dmg}
[ -d "$app" ] || { echo "make_dmg.sh: $app is not an app bundle; freeze first." >&2; exit 1; }
command -v hdiutil >/dev/null || { echo "make_dmg.sh: hdiutil is macOS-only." >&2; exit 1; }

if [ -n "${CODESIGN_IDENTITY:-}" ]; then
  codesign --force --deep --options runtime --timestamp --sign "$CODESIGN_IDENTITY" "$app"
  codesign --verify --strict --verbose=2 "$app"
fi

staging=$(mktemp -d)
trap 'rm -rf "$staging"' EXIT
cp -R "$app" "$staging/"
ln -s /Applications "$staging/Applications"

mkdir -p "$(dirname "$dmg")"
rm -f "$dmg"
hdiutil create -volname "BidDesk" -srcfolder "$staging" -fs HFS+ -format UDZO -ov "$dmg"
hdiutil verify "$dmg"
echo "wrote $dmg"
