"""Releasing os-tooling versions: tag + release notes, behind one small back-end interface.

``base`` is the interface, ``local_git`` and ``github`` the back ends, ``notes`` the pure
notes/payload rendering, ``service`` the orchestration (``release()``).
"""
