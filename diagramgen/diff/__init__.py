"""The diff stage: what changed between two sets of architectures.

``align`` matches the steps of two models by content and finds renamed components;
``compare`` turns that into frozen change values (``diff_architectures``, ``diff_sets``);
``report`` renders them as text, Markdown and JSON; ``overlay`` builds the model and the
style of the overlay picture; ``run`` is the ``diff`` command's work (load both sides,
compare, choose the outputs); ``revisions`` loads the architectures as they were at a
git revision.
"""
