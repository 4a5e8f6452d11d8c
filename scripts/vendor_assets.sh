#!/usr/bin/env bash
#
# Vendor pinned front-end packages into pathscore/static/vendor/.
#
# Each package is fetched by name with `npm pack NAME@VERSION` (no URLs), the
# tarball is extracted into a temporary directory and only the distribution
# files we serve are copied, together with the package's licence file(s).
#
# The script is idempotent: every package folder is wiped and refilled on each
# run, and VERSIONS.txt is regenerated. It can be run from any directory.
#
# To upgrade a package: change its pin below, rerun this script, check the
# site, and commit the resulting changes under pathscore/static/vendor/.

set -euo pipefail

# --- Pinned versions ---------------------------------------------------------
BOOTSTRAP_VERSION="5.3.9"
BOOTSTRAP_ICONS_VERSION="1.13.2"
HTMX_VERSION="2.0.11"
ECHARTS_VERSION="6.1.0"

# --- Locations ---------------------------------------------------------------
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "${SCRIPT_DIR}/.." && pwd)"
cd "${REPO_ROOT}"

VENDOR_DIR="pathscore/static/vendor"
VERSIONS_FILE="${VENDOR_DIR}/VERSIONS.txt"

for tool in npm node tar sed mktemp; do
    if ! command -v "${tool}" >/dev/null 2>&1; then
        echo "error: required tool '${tool}' not found in PATH" >&2
        exit 1
    fi
done

WORK_DIR="$(mktemp -d "${TMPDIR:-/tmp}/pathscore-vendor.XXXXXX")"
trap 'rm -rf "${WORK_DIR}"' EXIT

# Lines for VERSIONS.txt, appended by fetch_package.
VERSION_LINES=()

# Set by fetch_package: directory holding the extracted package contents.
PKG_DIR=""

# fetch_package NAME VERSION
# Downloads NAME@VERSION with npm pack, extracts it and sets PKG_DIR.
fetch_package() {
    local name="$1" version="$2"
    local dest="${WORK_DIR}/${name}"
    local tarballs actual licence

    echo "==> ${name}@${version}"
    mkdir -p "${dest}"
    (cd "${dest}" && npm pack "${name}@${version}" --silent --pack-destination "${dest}" >/dev/null)

    shopt -s nullglob
    tarballs=("${dest}"/*.tgz)
    shopt -u nullglob
    if [[ ${#tarballs[@]} -ne 1 ]]; then
        echo "error: expected exactly one tarball for ${name}@${version}, found ${#tarballs[@]}" >&2
        exit 1
    fi

    tar -xzf "${tarballs[0]}" -C "${dest}"
    PKG_DIR="${dest}/package"

    actual="$(node -p 'require(process.argv[1]).version' "${PKG_DIR}/package.json")"
    if [[ "${actual}" != "${version}" ]]; then
        echo "error: ${name}: expected version ${version}, got ${actual}" >&2
        exit 1
    fi
    licence="$(node -p 'require(process.argv[1]).license || "UNKNOWN"' "${PKG_DIR}/package.json")"

    VERSION_LINES+=("$(printf '%-18s %-10s %s' "${name}" "${version}" "${licence}")")
}

# reset_dir DIR -- wipe and recreate a package folder.
reset_dir() {
    rm -rf "$1"
    mkdir -p "$1"
}

# copy_file SRC DEST -- copy one file, creating the destination folder.
copy_file() {
    local src="$1" dest="$2"
    if [[ ! -f "${src}" ]]; then
        echo "error: missing file in package: ${src#"${WORK_DIR}/"}" >&2
        exit 1
    fi
    mkdir -p "$(dirname "${dest}")"
    cp "${src}" "${dest}"
    chmod 644 "${dest}"
}

# copy_licences DEST_DIR -- copy LICENSE (required) and NOTICE (optional).
copy_licences() {
    local dest="$1" found="" f
    for f in LICENSE LICENSE.md LICENSE.txt LICENCE; do
        if [[ -f "${PKG_DIR}/${f}" ]]; then
            copy_file "${PKG_DIR}/${f}" "${dest}/${f}"
            found="yes"
        fi
    done
    if [[ -z "${found}" ]]; then
        echo "error: no LICENSE file found in package" >&2
        exit 1
    fi
    for f in NOTICE NOTICE.md NOTICE.txt; do
        if [[ -f "${PKG_DIR}/${f}" ]]; then
            copy_file "${PKG_DIR}/${f}" "${dest}/${f}"
        fi
    done
}

# strip_sourcemap FILE -- drop "//# sourceMappingURL=" / "/*# sourceMappingURL= */"
# lines: the .map files are not vendored and WhiteNoise's manifest storage
# fails on references to missing files.
strip_sourcemap() {
    local file="$1"
    sed -E \
        -e '/^[[:space:]]*\/\/[#@] sourceMappingURL=/d' \
        -e '/^[[:space:]]*\/\*[#@] sourceMappingURL=.*\*\/[[:space:]]*$/d' \
        "${file}" > "${file}.tmp"
    mv "${file}.tmp" "${file}"
    chmod 644 "${file}"
}

mkdir -p "${VENDOR_DIR}"

# --- bootstrap ---------------------------------------------------------------
fetch_package bootstrap "${BOOTSTRAP_VERSION}"
out="${VENDOR_DIR}/bootstrap"
reset_dir "${out}"
copy_file "${PKG_DIR}/dist/css/bootstrap.min.css" "${out}/bootstrap.min.css"
copy_file "${PKG_DIR}/dist/js/bootstrap.bundle.min.js" "${out}/bootstrap.bundle.min.js"
strip_sourcemap "${out}/bootstrap.min.css"
strip_sourcemap "${out}/bootstrap.bundle.min.js"
copy_licences "${out}"

# --- bootstrap-icons ---------------------------------------------------------
# Keep the fonts/ subfolder so the url("fonts/...") references in the CSS resolve.
fetch_package bootstrap-icons "${BOOTSTRAP_ICONS_VERSION}"
out="${VENDOR_DIR}/bootstrap-icons"
reset_dir "${out}"
copy_file "${PKG_DIR}/font/bootstrap-icons.min.css" "${out}/bootstrap-icons.min.css"
copy_file "${PKG_DIR}/font/fonts/bootstrap-icons.woff2" "${out}/fonts/bootstrap-icons.woff2"
copy_file "${PKG_DIR}/font/fonts/bootstrap-icons.woff" "${out}/fonts/bootstrap-icons.woff"
strip_sourcemap "${out}/bootstrap-icons.min.css"
copy_licences "${out}"

# --- htmx --------------------------------------------------------------------
fetch_package htmx.org "${HTMX_VERSION}"
out="${VENDOR_DIR}/htmx"
reset_dir "${out}"
copy_file "${PKG_DIR}/dist/htmx.min.js" "${out}/htmx.min.js"
strip_sourcemap "${out}/htmx.min.js"
copy_licences "${out}"

# --- echarts -----------------------------------------------------------------
fetch_package echarts "${ECHARTS_VERSION}"
out="${VENDOR_DIR}/echarts"
reset_dir "${out}"
copy_file "${PKG_DIR}/dist/echarts.min.js" "${out}/echarts.min.js"
strip_sourcemap "${out}/echarts.min.js"
copy_licences "${out}"
# ECharts embeds third-party code (d3) whose licence texts ship in licenses/.
if [[ -d "${PKG_DIR}/licenses" ]]; then
    for f in "${PKG_DIR}"/licenses/*; do
        if [[ -f "${f}" ]]; then
            copy_file "${f}" "${out}/licenses/$(basename "${f}")"
        fi
    done
fi

# --- Sanity check: no source map references left ----------------------------
if grep -rlE '^[[:space:]]*(//|/\*)[#@] sourceMappingURL=' "${VENDOR_DIR}" --include='*.js' --include='*.css'; then
    echo "error: sourceMappingURL references remain in the files listed above" >&2
    exit 1
fi

# --- VERSIONS.txt ------------------------------------------------------------
{
    echo "# Vendored front-end packages."
    echo "# Generated by scripts/vendor_assets.sh -- do not edit by hand."
    echo "#"
    printf '%-18s %-10s %s\n' "# package" "version" "licence"
    printf '%s\n' "${VERSION_LINES[@]}"
} > "${VERSIONS_FILE}"

echo "==> Done. Vendored files:"
find "${VENDOR_DIR}" -type f | LC_ALL=C sort
