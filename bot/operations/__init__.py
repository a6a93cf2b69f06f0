"""What the operator gets: the running bot's server, metrics, log lines, alerts and retention
(``running.Operations``), and the commands status, backup, export and import."""
