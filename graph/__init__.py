"""Code graph: a repository indexed with tree-sitter into a networkx graph.

Independent of the rest of lynkr (it imports nothing of it). Entry points:
``graph.build.build_graph`` (index, incremental), ``graph.query.load_graph`` (ask),
``graph.extract.outline_source`` (one file, no stored graph), ``graph.cli`` (commands).
"""
