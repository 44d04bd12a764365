"""`make kafka`: a real broker in the foreground, with the agencies' topics, until Ctrl-C."""

import logging
import time

from deploy.local.broker import provide_kafka


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)  # refused connections while it starts
    with provide_kafka() as kafka:
        print(
            f"Kafka is up: KAFKA_BOOTSTRAP_SERVERS={kafka.bootstrap_servers}  ({kafka.provider})", flush=True
        )
        print("Press Ctrl-C to stop it.", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            print("\nStopping Kafka …", flush=True)


if __name__ == "__main__":
    main()
