#!/usr/bin/env bash
# The Salesforce CLI (`sf`) against `sfmap emulate`: access-token and JWT logins, create, upsert
# (new and existing, via `sf api request rest`), a paging query, update, delete, a Bulk API 2.0
# upsert with a failing row, describe. Assertions read the CLI's --json output and, through raw
# HTTP, the records in the emulator. Expects EMU_* from run.sh and `sf` on PATH.
set -euo pipefail
export HOME="$WORK/sfhome" SF_DISABLE_TELEMETRY=true SF_AUTOUPDATE_DISABLE=true \
  SF_SKIP_NEW_VERSION_CHECK=true SF_HIDE_RELEASE_NOTES=true SF_USE_PROGRESS_BAR=false
mkdir -p "$HOME"
V=60.0

fail() { echo "sf: $*" >&2; exit 1; }
# json FILE EXPR: evaluates a JS expression over the parsed JSON `j`.
json() { node -e 'const j=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")); const v=eval(process.argv[2]); console.log(typeof v==="object"?JSON.stringify(v):v)' "$1" "$2"; }
# raw SOQL: the emulator's records, not through the CLI.
raw() { curl -sf -G "$EMU_URL/services/data/v$V/query" --data-urlencode "q=$1" -H "Authorization: Bearer $EMU_TOKEN"; }
expect() { [ "$1" = "$2" ] || fail "$3: expected '$2', got '$1'"; }
out() { echo "$WORK/sf-$1.json"; }

# --- logins -------------------------------------------------------------------------------------
SF_ACCESS_TOKEN="$EMU_TOKEN" sf org login access-token --instance-url "$EMU_URL" --no-prompt --alias emu --json > "$(out login)" \
  || { cat "$(out login)"; fail "access-token login"; }
expect "$(json "$(out login)" 'j.result.username')" "$EMU_USERNAME" "login username"

# --- create -------------------------------------------------------------------------------------
sf data create record -s Account -v "Name='SF Acme' ExtId__c=SF1" -o emu --json > "$(out create)" || { cat "$(out create)"; fail create; }
ID=$(json "$(out create)" 'j.result.id')
[[ "$ID" =~ ^001[0-9A-Za-z]{15}$ ]] || fail "create id $ID"
raw "SELECT Name FROM Account WHERE ExtId__c = 'SF1'" > "$(out c1)"
expect "$(json "$(out c1)" 'j.records[0].Name')" "SF Acme" "created record"

# --- upsert by external id (new, then existing) ---------------------------------------------------
sf api request rest "/services/data/v$V/sobjects/Account/ExtId__c/SF2" --method PATCH --body '{"Name":"SF New"}' -o emu > "$(out up1)" \
  || { cat "$(out up1)"; fail "upsert new"; }
expect "$(json "$(out up1)" 'j.created')" "true" "upsert new"
sf api request rest "/services/data/v$V/sobjects/Account/ExtId__c/SF1" --method PATCH --body '{"Name":"SF Existing"}' -o emu > "$(out up2)" \
  || { cat "$(out up2)"; fail "upsert existing"; }
expect "$(json "$(out up2)" 'j.created')" "false" "upsert existing"
expect "$(json "$(out up2)" 'j.id')" "$ID" "upsert existing id"
raw "SELECT Name FROM Account WHERE ExtId__c IN ('SF1','SF2') ORDER BY Name" > "$(out c2)"
expect "$(json "$(out c2)" 'j.records.map(r=>r.Name).join("|")')" "SF Existing|SF New" "upserted records"

# --- a query that pages (2,100 seeded records, pages of 2,000) -----------------------------------
sf data query -q "SELECT Id, Name FROM Account WHERE Name LIKE 'Page %'" -o emu --json > "$(out q)" || { cat "$(out q)"; fail query; }
expect "$(json "$(out q)" 'j.result.totalSize')" "2100" "query totalSize"
expect "$(json "$(out q)" 'j.result.records.length')" "2100" "query records fetched across pages"

# --- update and delete --------------------------------------------------------------------------
sf data update record -s Account -i "$ID" -v "Name='SF Updated'" -o emu --json > "$(out upd)" || { cat "$(out upd)"; fail update; }
raw "SELECT Name FROM Account WHERE Id = '$ID'" > "$(out c3)"
expect "$(json "$(out c3)" 'j.records[0].Name')" "SF Updated" "updated record"
sf data update record -s Account -w "ExtId__c=SF2" -v "Phone=555" -o emu --json > "$(out upd2)" || { cat "$(out upd2)"; fail "update by where"; }
raw "SELECT Phone FROM Account WHERE ExtId__c = 'SF2'" > "$(out c4)"
expect "$(json "$(out c4)" 'j.records[0].Phone')" "555" "update by where"
SF2=$(json "$(out up1)" 'j.id')
sf data delete record -s Account -i "$SF2" -o emu --json > "$(out del)" || { cat "$(out del)"; fail delete; }
raw "SELECT COUNT() FROM Account WHERE ExtId__c = 'SF2'" > "$(out c5)"
expect "$(json "$(out c5)" 'j.totalSize')" "0" "deleted record"

# --- Bulk API 2.0 upsert with one failing row ------------------------------------------------------
LONG=$(printf 'x%.0s' $(seq 1 300))
printf 'ExtId__c,Name\nSB1,Bulk One\nSF1,"Bulk, ""quoted"""\nSB3,%s\n' "$LONG" > "$WORK/accts.csv"
# With failed rows the command exits non-zero and reports the job; `sf data bulk results` then
# fetches the successful and failed results.
sf data upsert bulk -s Account -f "$WORK/accts.csv" -i ExtId__c -w 5 -o emu --json > "$(out bulk)" || true
expect "$(json "$(out bulk)" 'j.name || j.code')" "FailedRecordDetailsError" "bulk upsert reports the failed row"
expect "$(json "$(out bulk)" 'j.data.state')" "JobComplete" "bulk job state"
JOB=$(json "$(out bulk)" 'j.data.jobId')
(cd "$WORK" && sf data bulk results --job-id "$JOB" -o emu --json > "$(out results)") || { cat "$(out results)"; fail "bulk results"; }
expect "$(json "$(out results)" 'j.result.processedRecords')" "3" "bulk processed"
expect "$(json "$(out results)" 'j.result.successfulRecords')" "2" "bulk successes"
expect "$(json "$(out results)" 'j.result.failedRecords')" "1" "bulk failures"
grep -q '"*SB1"*,"*Bulk One' "$WORK/$(json "$(out results)" 'j.result.successFilePath')" || fail "success file lacks SB1"
grep -q 'STRING_TOO_LONG' "$WORK/$(json "$(out results)" 'j.result.failedFilePath')" || fail "failed file lacks STRING_TOO_LONG"
raw "SELECT Name FROM Account WHERE ExtId__c IN ('SB1','SF1','SB3') ORDER BY Name" > "$(out c6)"
expect "$(json "$(out c6)" 'j.records.map(r=>r.Name).join("|")')" 'Bulk One|Bulk, "quoted"' "bulk records"

# --- describe -----------------------------------------------------------------------------------
sf sobject describe -s Account -o emu --json > "$(out describe)" || { cat "$(out describe)"; fail describe; }
expect "$(json "$(out describe)" 'j.result.fields.find(f=>f.name==="ExtId__c").externalId')" "true" "describe"
# --- JWT bearer login (its own HOME: the CLI keeps one alias per username) ---------------------
export HOME="$WORK/sfhome-jwt"
mkdir -p "$HOME"
sf org login jwt --client-id "$EMU_CLIENT_ID" --jwt-key-file "$EMU_JWT_KEY" --username "$EMU_USERNAME" \
  --instance-url "$EMU_URL" --alias emujwt --json > "$(out jwt)" || { cat "$(out jwt)"; fail "jwt login"; }
expect "$(json "$(out jwt)" 'j.result.orgId.slice(0,3)')" "00D" "jwt org id"
sf data query -q "SELECT COUNT() FROM Account" -o emujwt --json > "$(out jwtq)" || { cat "$(out jwtq)"; fail "query after jwt"; }
raw "SELECT COUNT() FROM Account" > "$(out jwtraw)"
expect "$(json "$(out jwtq)" 'j.result.totalSize')" "$(json "$(out jwtraw)" 'j.totalSize')" "count after jwt login"

echo "sf: all assertions passed"
