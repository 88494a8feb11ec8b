#!/usr/bin/env bash
# A sitegate protocol v1 gate in bash: sends one signed attendance event and waits for
# central's signed ack. Only bash, coreutils, openssl and the mosquitto clients are used.
# The specification it follows is docs/protocol.md (this script is its section 11).
#
# Usage: docs/gate-recipe.sh HOST PORT SITE DEVICE SECRET_HEX WORKER_ID
#
# Optional environment:
#   DIRECTION    in | out                                   (default: in)
#   DISTANCE     face match distance, 0..4, written canonically (default: 0.4123)
#   SITE_TZ      the site's time zone, for timestamps         (default: Asia/Shanghai)
#   SEQ          per-device sequence number                   (default: epoch milliseconds)
#   ACK_WAIT     seconds to wait for the ack                  (default: 20)
#   CLIENT_ID    MQTT client id of the persistent ack session (default: gate:SITE:DEVICE)
#   MQTT_USER, MQTT_PASS   this device's broker credentials
#   MQTT_CAFILE  CA certificate: connect with TLS (mqtts; the port is then usually 8883)
#
# Output: "event <signed JSON>", then "ack <ack JSON>" and "result <id> <result>".
# Exit status: 0 stored or duplicate (the gate may delete the event); 2 no valid ack in
# time (keep the event and resend it unchanged, with backoff); 3 rejected (do not resend,
# keep it for inspection); 1 usage or connection error.
set -euo pipefail

die() { echo "gate-recipe: $*" >&2; exit 1; }
say() { echo "gate-recipe: $*" >&2; }

[[ $# -eq 6 ]] || die "usage: $0 HOST PORT SITE DEVICE SECRET_HEX WORKER_ID"
host=$1 port=$2 site=$3 device=$4 secret=$5 worker=$6
direction=${DIRECTION:-in}
distance=${DISTANCE:-0.4123}
zone=${SITE_TZ:-Asia/Shanghai}
ack_wait=${ACK_WAIT:-20}
client_id=${CLIENT_ID:-gate:$site:$device}

# -- 1. check the inputs against the protocol's rules (section 3 and 5) -----------------------
id_re='^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$'
[[ $port =~ ^[0-9]+$ ]] || die "PORT must be a number"
[[ $site =~ $id_re ]] || die "SITE must match $id_re"
[[ $device =~ $id_re ]] || die "DEVICE must match $id_re"
[[ $worker =~ ^[A-Za-z0-9_.:-]{1,64}$ ]] || die "WORKER_ID must match ^[A-Za-z0-9_.:-]{1,64}$"
[[ $secret =~ ^([0-9a-fA-F]{2}){16,}$ ]] || die "SECRET_HEX must be hex, at least 16 bytes"
[[ $direction =~ ^(in|out)$ ]] || die "DIRECTION must be in or out"
# Canonical numbers (section 7): no trailing zeros, no exponent; 4 decimals at most keeps
# every value in the range where the canonical form is the plain decimal.
[[ $distance =~ ^([0-3](\.[0-9]{0,3}[1-9])?|4)$ ]] ||
    die "DISTANCE must be 0..4 in canonical form, e.g. 0.4123 (not 0.40, not 4.0)"
[[ $ack_wait =~ ^[1-9][0-9]*$ ]] || die "ACK_WAIT must be a whole number of seconds"
# Without its zone file, date silently falls back to UTC, and attendance lands on the wrong day.
[[ $zone != */* || -e /usr/share/zoneinfo/$zone ]] ||
    die "SITE_TZ $zone is unknown here: install tzdata, or use a POSIX zone such as CST-8"

# -- 2. one instant, read once: the id's timestamp and the local time with its offset -------
now_ms=$(date +%s%3N)
local_time=$(TZ=$zone date -d "@${now_ms:0:-3}.${now_ms: -3}" +%Y-%m-%dT%H:%M:%S.%3N%:z)
seq=${SEQ:-$now_ms}
[[ $seq =~ ^(0|[1-9][0-9]{0,17})$ ]] || die "SEQ must be a whole number below 10^18"

# -- 3. a UUIDv7 (RFC 9562): 48-bit Unix milliseconds, version 7, variant 10, random bits ---
ts=$(printf '%012x' "$now_ms")
rnd=$(openssl rand -hex 10)
variant=$(printf '%x' $(( 0x8 | (0x${rnd:3:1} & 0x3) )))
id="${ts:0:8}-${ts:8:4}-7${rnd:0:3}-${variant}${rnd:4:3}-${rnd:7:12}"

# -- 4. the envelope in canonical form: keys sorted at every level, no whitespace -----------
body="{\"camera\":\"cam0\",\"captured_at\":\"$local_time\",\"direction\":\"$direction\""
body+=",\"distance\":$distance,\"kind\":\"attendance\",\"liveness\":\"not_checked\""
body+=",\"method\":\"face\",\"worker_id\":\"$worker\"}"
canonical="{\"body\":$body,\"created_at\":\"$local_time\",\"device\":\"$device\""
canonical+=",\"id\":\"$id\",\"seq\":$seq,\"site\":\"$site\",\"v\":1}"

# -- 5. sign: HMAC-SHA256 of the canonical bytes, lower-case hex ----------------------------
hmac() { # stdin → hex HMAC-SHA256 under $secret
    local out
    out=$(openssl dgst -sha256 -mac HMAC -macopt "hexkey:$secret")
    echo "${out##*= }"
}
sig=$(printf '%s' "$canonical" | hmac)
message="${canonical%\}},\"sig\":\"$sig\"}"
echo "event $message"

# -- 6. MQTT: 3.1.1, QoS 1; a persistent session for the ack topic exists before publishing --
mqtt=(-h "$host" -p "$port" -V mqttv311)
[[ -n ${MQTT_USER:-} ]] && mqtt+=(-u "$MQTT_USER")
[[ -n ${MQTT_PASS:-} ]] && mqtt+=(-P "$MQTT_PASS")
[[ -n ${MQTT_CAFILE:-} ]] && mqtt+=(--cafile "$MQTT_CAFILE")
root="sitegate/v1/$site/$device"
ack_topic="$root/ack"
# -c (no clean session) + -E (exit once subscribed): the broker now queues acks for us.
mosquitto_sub "${mqtt[@]}" -c -i "$client_id" -q 1 -t "$ack_topic" -E ||
    die "cannot subscribe to $ack_topic on $host:$port"
mosquitto_pub "${mqtt[@]}" -q 1 -t "$root/events/attendance" -m "$message" ||
    die "cannot publish to $host:$port"
say "published $id on $root/events/attendance; waiting up to ${ack_wait}s for the ack"

# -- 7. verify an ack: rebuild its canonical form, compare the HMAC --------------------------
# An ack is {"v":1,"acks":[{"id":…,"result":…,"reason":…},…],"at":…,"sig":…} in any key
# order. Its canonical form sorts the keys of each member of "acks" and of the top level.
str_re='"([^"\\]|\\.)*"'                            # one JSON string token
scalar_re="(null|true|false|-?[0-9][0-9.eE+-]*|$str_re)"
member_re="^\"([a-z_]+)\":$scalar_re(.*)$"          # "key":scalar then the rest

sorted_object() { # name=value lines → {"a":…,"b":…} with keys in code-point order
    local line out=""
    while IFS= read -r line; do out+=",\"${line%%=*}\":${line#*=}"; done < <(LC_ALL=C sort -t= -k1,1)
    echo "{${out#,}}"
}

canonical_flat() { # $1 = {…} with scalar values only → canonical form
    local rest=${1#\{} lines=""
    while [[ $rest =~ $member_re ]]; do
        lines+="${BASH_REMATCH[1]}=${BASH_REMATCH[2]}"$'\n'
        rest=${BASH_REMATCH[4]}
        [[ $rest == "}" ]] && { printf '%s' "$lines" | sorted_object; return 0; }
        rest=${rest#,}
    done
    return 1
}

canonical_ack() { # $1 = ack JSON → its canonical form (without sig); fails on anything else
    local rest=${1#\{} lines="" items item
    while [[ -n $rest && $rest != "}" ]]; do
        if [[ $rest =~ ^\"acks\":\[(.*)$ ]]; then
            rest=${BASH_REMATCH[1]} items=""
            while [[ $rest =~ ^(\{(\"[a-z_]+\":$scalar_re,?)*\})(.*)$ ]]; do
                item=$(canonical_flat "${BASH_REMATCH[1]}") || return 1
                items+=",$item"
                rest=${BASH_REMATCH[5]#,}
            done
            [[ $rest == \]* ]] || return 1
            lines+="acks=[${items#,}]"$'\n'
            rest=${rest#\]}
        elif [[ $rest =~ $member_re ]]; then
            [[ ${BASH_REMATCH[1]} == sig ]] || lines+="${BASH_REMATCH[1]}=${BASH_REMATCH[2]}"$'\n'
            rest=${BASH_REMATCH[4]}
        else
            return 1
        fi
        rest=${rest#,}
    done
    printf '%s' "$lines" | sorted_object
}

ack_canon=""
ack_is_authentic() { # $1 = ack JSON; sets ack_canon to its canonical form
    local given
    [[ $1 =~ \"sig\":\"([0-9a-f]{64})\" ]] || return 1
    given=${BASH_REMATCH[1]}
    ack_canon=$(canonical_ack "$1") || return 1
    [[ $(printf '%s' "$ack_canon" | hmac) == "$given" ]]
}

# -- 8. wait for an ack that names our id; ignore others (older acks, forgeries) ------------
deadline=$(( SECONDS + ack_wait ))
while (( SECONDS < deadline )); do
    ack=$(mosquitto_sub "${mqtt[@]}" -c -i "$client_id" -q 1 -t "$ack_topic" \
            -C 1 -W $(( deadline - SECONDS ))) || break
    [[ $ack == *"\"$id\""* ]] || continue
    if ! ack_is_authentic "$ack"; then
        say "ignoring an ack whose signature does not verify: $ack"
        continue
    fi
    # In the canonical form each verdict reads {"id":…[,"reason":…],"result":…}.
    [[ $ack_canon =~ \{\"id\":\"$id\",(\"reason\":$scalar_re,)?\"result\":\"([a-z]+)\"\} ]] ||
        continue
    result=${BASH_REMATCH[4]}
    echo "ack $ack"
    echo "result $id $result"
    case $result in
        stored|duplicate) exit 0 ;;  # central has it: delete the event
        *) exit 3 ;;                 # rejected: stop resending, keep it for inspection
    esac
done
say "no ack for $id within ${ack_wait}s: keep the event and resend it unchanged later"
exit 2
