// Dotted names of the built-in sub-packages.
Q(umqtt.simple)
Q(umqtt.robust)
Q(umqtt.aio)
