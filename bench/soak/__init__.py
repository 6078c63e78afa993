"""The fault soak: randomized scenarios against the sandbox org while faults are injected and
sync processes are killed, then a field-by-field comparison of both sides (`make soak`)."""
