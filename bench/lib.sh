# shellcheck shell=bash
# Helpers shared by the benchmark scripts (bench/run.sh, bench/report.sh).

# readme_section NAME FILE README: replaces the lines between
# "<!-- bench:NAME:begin -->" and "<!-- bench:NAME:end -->" in README with
# FILE.  Returns 1 (and changes nothing) when README lacks the markers.
readme_section() {
    local name="$1" file="$2" readme="$3" t
    grep -q "<!-- bench:$name:begin -->" "$readme" || return 1
    grep -q "<!-- bench:$name:end -->" "$readme" || return 1
    t="$(mktemp)"
    awk -v f="$file" -v b="<!-- bench:$name:begin -->" -v e="<!-- bench:$name:end -->" '
        $0 == b { print; while ((getline l < f) > 0) print l; skip = 1; next }
        $0 == e { skip = 0 }
        !skip' "$readme" > "$t" && cat "$t" > "$readme"
    rm -f "$t"
}
