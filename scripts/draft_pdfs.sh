#!/usr/bin/env bash
# A PDF of the first page of each DOCX draft in DIR (default var/out/drafts), beside it as
# NAME.first-page.pdf, made by LibreOffice headless: what a clerk sees when the paper is
# printed. As root, installs LibreOffice Writer (no GUI) once if it is missing; without it
# (and not root) it says so and leaves the drafts as they are. About 1 s a draft.
set -euo pipefail
dir="${1:-var/out/drafts}"
if ! command -v soffice >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing LibreOffice Writer for the drafts' PDFs (once)..."
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends libreoffice-writer-nogui >/dev/null 2>&1 \
    || { apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends libreoffice-writer-nogui >/dev/null 2>&1; } \
    || true
fi
if ! command -v soffice >/dev/null 2>&1; then
  echo "no LibreOffice (soffice): skipped the drafts' first-page PDFs"
  exit 0
fi
shopt -s nullglob
drafts=("$dir"/*.docx)
[ ${#drafts[@]} -gt 0 ] || exit 0
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# A profile of its own: no clash with a LibreOffice the user has open.
soffice -env:UserInstallation="file://$work/profile" --headless \
  --convert-to 'pdf:writer_pdf_Export:{"PageRange":{"type":"string","value":"1"}}' \
  --outdir "$work" "${drafts[@]}" >/dev/null 2>&1
for docx in "${drafts[@]}"; do
  stem="$(basename "$docx" .docx)"
  [ -f "$work/$stem.pdf" ] && mv "$work/$stem.pdf" "$dir/$stem.first-page.pdf"
done
echo "wrote the first page of each draft as PDF in $dir"
