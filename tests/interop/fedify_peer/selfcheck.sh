#!/usr/bin/env bash
# Self-check of the Fedify interop peer without fediverse-cases:
# two peers (A and B) on loopback talk to each other, once with each
# firstKnock setting.  Exits non-zero on the first failed check.
#
#   tests/interop/fedify_peer/selfcheck.sh        # ports 18081/18082
#   PORT_A=19081 PORT_B=19082 tests/interop/fedify_peer/selfcheck.sh
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PORT_A="${PORT_A:-18081}"
PORT_B="${PORT_B:-18082}"
A="http://127.0.0.1:$PORT_A"
B="http://127.0.0.1:$PORT_B"
ACTOR_A="$A/users/peer"
ACTOR_B="$B/users/peer"
PY="${PYTHON:-python3}"
LOGDIR="$(mktemp -d -t fedify-selfcheck.XXXXXX)"
PIDS=()

"$HERE/install.sh"
NODE22="$HERE/node_modules/node/bin/node"

cleanup() {
  for pid in "${PIDS[@]:-}"; do
    [[ -n "$pid" ]] && kill "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]:-}"; do
    [[ -n "$pid" ]] && wait "$pid" 2>/dev/null || true
  done
  PIDS=()
}
trap 'cleanup' EXIT

fail() {
  echo "SELFCHECK FAIL: $*" >&2
  for f in "$LOGDIR"/*.log; do
    echo "---- tail of $f" >&2
    tail -n 30 "$f" >&2 || true
  done
  exit 1
}

start_peer() { # port knock name
  FEDIFY_PEER_FIRST_KNOCK="$2" "$NODE22" "$HERE/peer.mjs" --port "$1" >"$LOGDIR/$3.log" 2>&1 &
  PIDS+=("$!")
}

wait_health() { # base
  for _ in $(seq 1 100); do
    curl -fsS "$1/_control/health" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  fail "peer at $1 did not become healthy"
}

post() { # url json
  curl -sS --max-time 30 -H 'Content-Type: application/json' -X POST "$1" -d "$2" -w '\n%{http_code}'
}

# check <description> <json> <python expression over `d`>
check() {
  local desc="$1" json="$2" expr="$3"
  if printf '%s' "$json" | "$PY" -c "import json,sys; d=json.load(sys.stdin); sys.exit(0 if ($expr) else 1)"; then
    echo "  ok: $desc"
  else
    echo "$json" | head -c 3000 >&2
    echo >&2
    fail "$desc"
  fi
}

status_of() { tail -n1 <<<"$1"; }
body_of() { sed '$d' <<<"$1"; }

for KNOCK in rfc9421 draft-cavage-http-signatures-12; do
  echo "== firstKnock=$KNOCK"
  start_peer "$PORT_A" "$KNOCK" "A-$KNOCK"
  start_peer "$PORT_B" "$KNOCK" "B-$KNOCK"
  wait_health "$A"
  wait_health "$B"

  # --- A follows B (by actor URL)
  r="$(post "$A/_control/follow" "{\"actor\": \"$ACTOR_B\"}")"
  [[ "$(status_of "$r")" == 200 ]] || fail "follow returned $(status_of "$r"): $(body_of "$r")"
  FOLLOW_ID="$("$PY" -c 'import json,sys; print(json.load(sys.stdin)["id"])' <<<"$(body_of "$r")")"
  check "follow delivered with $KNOCK and an integrity proof" "$(body_of "$r")" \
    "any(x['activityType']=='Follow' and x['status']==202 and x['signature']['scheme']=='$KNOCK' and x['proof'] and x['proof'][0]['cryptosuite']=='eddsa-jcs-2022' for x in d['deliveries'])"

  inbox_b="$(curl -fsS "$B/_control/inbox")"
  check "B received the Follow from A" "$inbox_b" \
    "any(e['type']=='Follow' and e['id']=='$FOLLOW_ID' and e['actor']=='$ACTOR_A' for e in d)"
  check "B saw a valid $KNOCK HTTP signature + integrity proof on the Follow" "$inbox_b" \
    "any(e['type']=='Follow' and e['verifiedBy']['httpSignature']['scheme']=='$KNOCK' and e['verifiedBy']['httpSignature']['verified'] and e['verifiedBy']['integrityProof'] for e in d)"

  following_a="$(curl -fsS "$A/_control/following")"
  check "A's following shows B accepted" "$following_a" \
    "any(f['actor']=='$ACTOR_B' and f['state']=='accepted' and f['followId']=='$FOLLOW_ID' for f in d)"
  inbox_a="$(curl -fsS "$A/_control/inbox")"
  check "A received B's Accept, signed with $KNOCK" "$inbox_a" \
    "any(e['type']=='Accept' and e['actor']=='$ACTOR_B' and e['verifiedBy']['httpSignature']['scheme']=='$KNOCK' and e['verifiedBy']['httpSignature']['verified'] for e in d)"
  check "B lists A as follower" "$(curl -fsS "$B/_control/followers")" \
    "any(f['actor']=='$ACTOR_A' for f in d)"

  # --- A replies to a (fake) note on B
  FAKE_NOTE="$B/users/peer/notes/fake-$KNOCK"
  r="$(post "$A/_control/reply" "{\"inReplyTo\": \"$FAKE_NOTE\", \"content\": \"<p>hello from A ($KNOCK)</p>\", \"to\": [\"$ACTOR_B\"]}")"
  [[ "$(status_of "$r")" == 200 ]] || fail "reply returned $(status_of "$r"): $(body_of "$r")"
  NOTE_ID="$("$PY" -c 'import json,sys; print(json.load(sys.stdin)["id"])' <<<"$(body_of "$r")")"
  inbox_b="$(curl -fsS "$B/_control/inbox")"
  check "B received Create(Note) replying to $FAKE_NOTE" "$inbox_b" \
    "any(e['type']=='Create' and e['objectType']=='Note' and e['activity']['object']['id']=='$NOTE_ID' and e['activity']['object']['inReplyTo']=='$FAKE_NOTE' for e in d)"
  check "reply is addressed to B, Public in cc, with a Mention of B" "$inbox_b" \
    "any(e['type']=='Create' and (lambda o: '$ACTOR_B' in (o['to'] if isinstance(o['to'],list) else [o['to']]) and 'https://www.w3.org/ns/activitystreams#Public' in (o['cc'] if isinstance(o['cc'],list) else [o['cc']]) and any(t['type']=='Mention' and t['href']=='$ACTOR_B' for t in (o['tag'] if isinstance(o['tag'],list) else [o['tag']])))(e['activity']['object']) for e in d)"
  check "the reply note can be dereferenced from A" \
    "$(curl -fsS -H 'Accept: application/activity+json' "$NOTE_ID")" \
    "d['type']=='Note' and d['id']=='$NOTE_ID'"

  # --- A likes the fake note
  r="$(post "$A/_control/like" "{\"object\": \"$FAKE_NOTE\", \"actor\": \"$ACTOR_B\"}")"
  [[ "$(status_of "$r")" == 200 ]] || fail "like returned $(status_of "$r"): $(body_of "$r")"
  check "B received the Like" "$(curl -fsS "$B/_control/inbox")" \
    "any(e['type']=='Like' and e['activity']['object']=='$FAKE_NOTE' for e in d)"

  # --- an unsigned inbox POST is rejected and not listed
  code="$(curl -sS -o /dev/null -w '%{http_code}' -X POST "$ACTOR_B/inbox" \
    -H 'Content-Type: application/activity+json' \
    -d "{\"@context\":\"https://www.w3.org/ns/activitystreams\",\"id\":\"$A/forged-$KNOCK\",\"type\":\"Like\",\"actor\":\"$ACTOR_A\",\"object\":\"$FAKE_NOTE\"}")"
  [[ "$code" == 401 ]] || fail "unsigned inbox POST got $code, expected 401"
  check "rejection counted" "$(curl -fsS "$B/_control/rejections")" \
    "d['count']==1 and d['rejections'][0]['id']=='$A/forged-$KNOCK'"
  check "rejected activity is not in the inbox" "$(curl -fsS "$B/_control/inbox")" \
    "not any(e['id']=='$A/forged-$KNOCK' for e in d)"

  cleanup
done

echo "SELFCHECK PASSED (logs: $LOGDIR)"
