"""``python -m napi_check`` — the same as the ``napi-check`` command."""

from napi_check import main

main()
