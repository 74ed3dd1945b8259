"""Code graph: a repository indexed with tree-sitter into a networkx graph.

Independent of the rest of lynkr (it imports nothing of it). Modules, from the pure core
outwards:

- ``languages``: the supported languages as data (queries live in ``queries/*.scm``);
- ``facts``: what one file yields; ``extract``: file bytes -> facts (pure);
- ``resolve``: facts + repository tables -> import and call edges (pure);
- ``scan``: which files to index; ``parse``: reading and extracting them in a process pool;
- ``store``: the versioned file under ``<repo>/.lynkr/graph``; ``build``: incremental builds;
- ``network``: the networkx ``MultiDiGraph`` and its indexes; ``query``: ``load_graph``,
  ``CodeGraph`` and the router's ``signals``; ``cli``: ``lynkr graph ...``.
"""
