"""The docs stage: Markdown from the model, and checks of hand-written pages against it.

``pages`` writes the text of an architecture's page and the index, ``overview`` the
group and migration pages, ``kinds`` the page of component kinds, and ``checkdocs``
compares a hand-written page's Dataflow list with the model. Nothing here writes a file.
"""
