# run-version.sh (sourced by setup.sh and do-one.sh)
# run_version NAME: the dump version a published run NAME (scenario, or scenario-la57) must
# hold in its .complete: TESTBED_VERSION, or TESTBED_VERSION.N when RUN_REVISIONS has
# "NAME:N" (a rebuild of those runs only, e.g. "bug:1" after the module's build path changed).
run_version() {
    local r
    for r in ${RUN_REVISIONS:-}; do
        if [ "${r%%:*}" = "$1" ]; then echo "$TESTBED_VERSION.${r#*:}"; return; fi
    done
    echo "$TESTBED_VERSION"
}
