"""`make kafka`: a real broker in the foreground, with the agencies' topics, until Ctrl-C."""

import logging
import time

from deploy.local.broker import ADMIN, provide_kafka
from shared.contracts.agencies import Agency


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)  # refused connections while it starts
    logging.getLogger("kafka").setLevel(logging.WARNING)  # the admin client granting the ACLs
    with provide_kafka() as kafka:
        print(
            f"Kafka is up: KAFKA_BOOTSTRAP_SERVERS={kafka.bootstrap_servers}  ({kafka.provider})", flush=True
        )
        if kafka.authenticated:  # each agency's service connects as its own principal
            for agency in Agency:
                settings = " ".join(f"{name}={value}" for name, value in kafka.env_for(agency).items())
                print(f"  {agency}: {settings}", flush=True)
            print(f"  admin: password {kafka.passwords[ADMIN]} (SCRAM-SHA-512, super user)", flush=True)
        print("Press Ctrl-C to stop it.", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            print("\nStopping Kafka …", flush=True)


if __name__ == "__main__":
    main()
