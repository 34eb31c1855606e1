"""Historical variants of the Linux NAPI core, each a short file that replaces parts of the shipped
6.18 kernel through ``kernel.replace`` (the same mechanism a user's own file uses); a configuration
selects them with the linux spec's constants (``prep_no_missed``, ``thread_wait_sched``,
``double_disable``, ``era = "2006"``) or a user spec lists them (``spec.linux.linux_spec``)."""
