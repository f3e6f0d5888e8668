"""The diff stage: what changed between two sets of architectures.

``compare`` aligns two models (steps by content, renamed components) and reports the
changes as text, Markdown, JSON and an overlay model for the picture; ``revisions``
loads the architectures as they were at a git revision.
"""
