"""JavaScript and TypeScript repositories: relative imports, named imports, classes."""

from __future__ import annotations

from graph.build import build_graph
from graph.query import load_graph
from tests.graph.conftest import RepoFactory

TS_REPO = {
    "src/util.ts": """
        export function helper(x: number): number { return x * 2; }
        export class Base { hello(): string { return "hi"; } }
        """,
    "src/shapes.ts": """
        import { helper, Base } from './util';
        export interface Shape { area(): number; }
        export class Circle extends Base implements Shape {
          area(): number { return helper(this.r()); }
          r(): number { return 1; }
        }
        """,
    "src/app.tsx": """
        import * as shapes from "./shapes";
        export const App = () => { const c = new shapes.Circle(); return c.area(); };
        """,
    "lib/legacy.js": """
        const util = require('../src/util');
        function legacy() { return util.helper(1); }
        module.exports = { legacy };
        """,
}


def test_typescript_named_imports_resolve_to_the_exporting_file(make_repo: RepoFactory):
    root = make_repo(TS_REPO)
    summary = build_graph(root, workers=1)
    assert summary.languages == {"typescript": 2, "tsx": 1, "javascript": 1}
    graph = load_graph(root)
    assert graph is not None
    g = graph.graph
    assert g.has_edge("src/shapes.ts", "src/util.ts", key="imports")
    assert g.has_edge("src/app.tsx", "src/shapes.ts", key="imports")
    assert g.has_edge("lib/legacy.js", "src/util.ts", key="imports")
    assert g.has_edge("src/shapes.ts::Circle.area", "src/util.ts::helper", key="calls")
    assert g.has_edge("src/shapes.ts::Circle.area", "src/shapes.ts::Circle.r", key="calls")
    assert g.has_edge("lib/legacy.js::legacy", "src/util.ts::helper", key="calls")


def test_typescript_classes_inherit_and_implement(make_repo: RepoFactory):
    root = make_repo(TS_REPO)
    build_graph(root, workers=1)
    graph = load_graph(root)
    assert graph is not None
    g = graph.graph
    assert g.has_edge("src/shapes.ts::Circle", "src/util.ts::Base", key="inherits")
    assert g.has_edge("src/shapes.ts::Circle", "src/shapes.ts::Shape", key="inherits")
    assert g.nodes["src/shapes.ts::Shape"]["kind"] == "interface"


def test_arrow_functions_bound_to_names_are_functions(make_repo: RepoFactory):
    root = make_repo(TS_REPO)
    build_graph(root, workers=1)
    graph = load_graph(root)
    assert graph is not None
    app = graph.graph.nodes["src/app.tsx::App"]
    assert app["kind"] == "function"
    assert graph.graph.has_edge("src/app.tsx::App", "src/shapes.ts::Circle", key="calls")


def test_jsx_components_used_in_tsx_are_calls(make_repo: RepoFactory):
    root = make_repo({
        "Button.tsx": "export function Button() { return <button />; }\n",
        "Page.tsx": "import { Button } from './Button';\n"
                    "export function Page() { return <div><Button /></div>; }\n",
    })
    build_graph(root, workers=1)
    graph = load_graph(root)
    assert graph is not None
    assert graph.graph.has_edge("Page.tsx::Page", "Button.tsx::Button", key="calls")
