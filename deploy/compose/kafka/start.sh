#!/bin/sh
# The compose broker: one KRaft node of Apache Kafka (the apache/kafka image) that authenticates every
# client with SASL/SCRAM-SHA-512 and lets KRaft's StandardAuthorizer decide: no ACL, no access.
# The same configuration as deploy/local/broker.py's local broker, which the tests run.
#
# The principals' SCRAM credentials live in the metadata log, so they are written when the data
# directory is formatted, on the first start: changing a password later takes
# `kafka-configs.sh --alter --add-config 'SCRAM-SHA-512=[password=…]' --entity-type users …`.
# The controller listens on loopback only and, as a KRaft controller cannot check SCRAM, takes PLAIN
# with the admin's password. ACLs: acls.sh, once the broker is up. Passwords: letters and digits
# (`openssl rand -hex 18`), as they go into the SCRAM and JAAS settings as they are.
set -eu
: "${KAFKA_ADMIN_PASSWORD:?the broker admin's password}"
: "${SETTLEMENT_KAFKA_PASSWORD:?}" "${EDUCATION_KAFKA_PASSWORD:?}"
: "${EMPLOYMENT_KAFKA_PASSWORD:?}" "${VOLUNTEERING_KAFKA_PASSWORD:?}"
bin=${KAFKA_BIN:-/opt/kafka/bin}
data=${KAFKA_DATA_DIR:-/var/lib/kafka/data}
port=${KAFKA_PORT:-9092}
controller_port=${KAFKA_CONTROLLER_PORT:-9093}
config=${KAFKA_CONFIG:-/tmp/server.properties}

umask 077  # the file holds the admin's password
cat > "$config" <<PROPERTIES
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$controller_port
listeners=SASL_PLAINTEXT://${KAFKA_LISTEN_HOST:-}:$port,CONTROLLER://127.0.0.1:$controller_port
advertised.listeners=SASL_PLAINTEXT://${KAFKA_ADVERTISED_HOST:-kafka}:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=SASL_PLAINTEXT
listener.security.protocol.map=CONTROLLER:SASL_PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT
log.dirs=$data
auto.create.topics.enable=false
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
log.retention.hours=-1
sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$KAFKA_ADMIN_PASSWORD";
listener.name.controller.sasl.enabled.mechanisms=PLAIN
sasl.mechanism.controller.protocol=PLAIN
listener.name.controller.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="$KAFKA_ADMIN_PASSWORD" user_admin="$KAFKA_ADMIN_PASSWORD";
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
super.users=User:admin
allow.everyone.if.no.acl.found=false
PROPERTIES

cat > "${KAFKA_ADMIN_CONFIG:-/tmp/admin.properties}" <<CLIENT
security.protocol=SASL_PLAINTEXT
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$KAFKA_ADMIN_PASSWORD";
CLIENT

scram() { printf 'SCRAM-SHA-512=[name=%s,password=%s]' "$1" "$2"; }
"$bin/kafka-storage.sh" format --ignore-formatted --standalone -c "$config" \
  -t "${KAFKA_CLUSTER_ID:-$("$bin/kafka-storage.sh" random-uuid)}" \
  --add-scram "$(scram admin "$KAFKA_ADMIN_PASSWORD")" \
  --add-scram "$(scram settlement "$SETTLEMENT_KAFKA_PASSWORD")" \
  --add-scram "$(scram education "$EDUCATION_KAFKA_PASSWORD")" \
  --add-scram "$(scram employment "$EMPLOYMENT_KAFKA_PASSWORD")" \
  --add-scram "$(scram volunteering "$VOLUNTEERING_KAFKA_PASSWORD")"
exec "$bin/kafka-server-start.sh" "$config"
