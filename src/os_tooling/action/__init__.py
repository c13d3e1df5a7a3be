"""The GitHub Action: runner inputs and event in, the same CLI commands, runner outputs out.

``python -m os_tooling.action`` is the container's entrypoint. The runner protocol (inputs,
outputs, summary, annotations, masking) is in ``runner.py``; what each command needs from the
inputs and the event, and what it gives back, is one entry of ``commands.COMMANDS``.
"""
