"""Every supported language: its query compiles, and a two-file fixture repository yields
the known symbols, the import between the files, and the cross-file call."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from graph.build import build_graph
from graph.extract import compiled_query, extract_facts
from graph.languages import LANGUAGES, is_test_path, language_for_path
from graph.query import load_graph
from tests.graph.conftest import RepoFactory


@dataclass(frozen=True)
class Case:
    language: str
    files: dict[str, str]
    symbols: set[tuple[str, str]]  # (kind, node id)
    imports: set[tuple[str, str]]  # file -> file
    calls: set[tuple[str, str]]  # node id -> node id
    inherits: set[tuple[str, str]] = frozenset()  # type: ignore[assignment]


CASES = [
    Case("go", {
        "util/scale.go": """
            package util
            type Box struct { Inner }
            type Inner struct {}
            func (b *Box) Open() int { if b != nil { return 1 }; return 0 }
            func Scale(x int) int { return x * 2 }
            """,
        "main.go": """
            package main
            import "example.com/m/util"
            func main() { util.Scale(1) }
            """},
        {("struct", "util/scale.go::Box"), ("method", "util/scale.go::Box.Open"),
         ("function", "util/scale.go::Scale"), ("function", "main.go::main")},
        {("main.go", "util/scale.go")}, {("main.go::main", "util/scale.go::Scale")},
        {("util/scale.go::Box", "util/scale.go::Inner")}),
    Case("rust", {
        "src/util.rs": """
            pub trait Reader { fn read(&self) -> i32; }
            pub struct Meter;
            impl Reader for Meter { fn read(&self) -> i32 { 1 } }
            pub fn helper() -> i32 { 2 }
            """,
        "src/main.rs": """
            mod util;
            use crate::util::helper;
            fn main() { helper(); }
            """},
        {("trait", "src/util.rs::Reader"), ("struct", "src/util.rs::Meter"),
         ("method", "src/util.rs::Meter.read"), ("function", "src/main.rs::main")},
        {("src/main.rs", "src/util.rs")}, {("src/main.rs::main", "src/util.rs::helper")},
        {("src/util.rs::Meter", "src/util.rs::Reader")}),
    Case("java", {
        "com/x/util/Helper.java": """
            package com.x.util;
            public class Helper { public static int scale(int x) { return x > 0 ? x : 0; } }
            """,
        "com/x/App.java": """
            package com.x;
            import com.x.util.Helper;
            interface Runner { void run(); }
            class App implements Runner { public void run() { Helper.scale(1); } }
            """},
        {("class", "com/x/util/Helper.java::Helper"),
         ("method", "com/x/util/Helper.java::Helper.scale"),
         ("interface", "com/x/App.java::Runner"), ("method", "com/x/App.java::App.run")},
        {("com/x/App.java", "com/x/util/Helper.java")},
        {("com/x/App.java::App.run", "com/x/util/Helper.java::Helper.scale")},
        {("com/x/App.java::App", "com/x/App.java::Runner")}),
    Case("c", {
        "util.h": "int helper(int x);\n",
        "util.c": '#include "util.h"\nstruct point { int x; };\nint helper(int x) { return x; }\n',
        "main.c": '#include "util.h"\nint main(void) { return helper(1); }\n'},
        {("struct", "util.c::point"), ("function", "util.c::helper"),
         ("function", "main.c::main")},
        {("main.c", "util.h"), ("util.c", "util.h")}, {("main.c::main", "util.c::helper")}),
    Case("cpp", {
        "shapes.hpp": """
            namespace geo {
            class Shape { public: virtual double area() const = 0; };
            class Circle : public Shape { public: double area() const override { return 1.0; } };
            }
            """,
        "main.cpp": '#include "shapes.hpp"\ndouble total() { geo::Circle c; return c.area(); }\n'},
        {("class", "shapes.hpp::geo.Circle"), ("method", "shapes.hpp::geo.Circle.area"),
         ("function", "main.cpp::total")},
        {("main.cpp", "shapes.hpp")}, {("main.cpp::total", "shapes.hpp::geo.Circle.area")},
        {("shapes.hpp::geo.Circle", "shapes.hpp::geo.Shape")}),
    Case("csharp", {
        "Util/Helper.cs": """
            namespace Com.X.Util {
              public static class Helper { public static int Scale(int x) { return x; } }
            }
            """,
        "App.cs": """
            using Com.X.Util;
            namespace Com.X {
              class Base {}
              class App : Base { void Run() { Helper.Scale(1); } }
            }
            """},
        {("class", "Util/Helper.cs::Com.X.Util.Helper"),
         ("method", "Util/Helper.cs::Com.X.Util.Helper.Scale"),
         ("method", "App.cs::Com.X.App.Run")},
        {("App.cs", "Util/Helper.cs")},
        {("App.cs::Com.X.App.Run", "Util/Helper.cs::Com.X.Util.Helper.Scale")},
        {("App.cs::Com.X.App", "App.cs::Com.X.Base")}),
    Case("ruby", {
        "lib/geo/shape.rb": "class Shape\nend\n\ndef helper_fn\n  1\nend\n",
        "lib/geo/circle.rb": """
            require_relative 'shape'
            class Circle < Shape
              def area
                helper_fn
              end
            end
            """,
        "app.rb": "require_relative 'lib/geo/circle'\n\ndef run\n  Circle.new.area\nend\n"},
        {("class", "lib/geo/circle.rb::Circle"), ("method", "lib/geo/circle.rb::Circle.area"),
         ("function", "app.rb::run")},
        {("app.rb", "lib/geo/circle.rb"), ("lib/geo/circle.rb", "lib/geo/shape.rb")},
        {("app.rb::run", "lib/geo/circle.rb::Circle"),
         ("app.rb::run", "lib/geo/circle.rb::Circle.area")},
        {("lib/geo/circle.rb::Circle", "lib/geo/shape.rb::Shape")}),
    Case("php", {
        "src/Models/User.php": """
            <?php
            namespace App\\Models;
            class Model {}
            class User extends Model {
              public static function find($id) { return new User(); }
            }
            """,
        "index.php": "<?php\nuse App\\Models\\User;\nfunction show() { return User::find(1); }\n"},
        {("class", "src/Models/User.php::User"), ("method", "src/Models/User.php::User.find"),
         ("function", "index.php::show")},
        {("index.php", "src/Models/User.php")},
        {("index.php::show", "src/Models/User.php::User.find")},
        {("src/Models/User.php::User", "src/Models/User.php::Model")}),
    Case("kotlin", {
        "com/x/util/Helper.kt": "package com.x.util\nobject Helper { fun scale(x: Int) = x }\n",
        "com/x/App.kt": """
            package com.x
            import com.x.util.Helper
            interface Runner { fun run(): Int }
            class App : Runner { override fun run(): Int = Helper.scale(1) }
            """},
        {("object", "com/x/util/Helper.kt::Helper"),
         ("method", "com/x/util/Helper.kt::Helper.scale"),
         ("interface", "com/x/App.kt::Runner"), ("method", "com/x/App.kt::App.run")},
        {("com/x/App.kt", "com/x/util/Helper.kt")},
        {("com/x/App.kt::App.run", "com/x/util/Helper.kt::Helper.scale")},
        {("com/x/App.kt::App", "com/x/App.kt::Runner")}),
    Case("swift", {
        "Shapes.swift": """
            protocol Shape { func area() -> Double }
            class Circle: Shape { func area() -> Double { return 1 } }
            struct Point { func norm() -> Double { return 0 } }
            """,
        "main.swift": "func total() -> Double {\n  let c = Circle()\n  return c.area()\n}\n"},
        {("interface", "Shapes.swift::Shape"), ("class", "Shapes.swift::Circle"),
         ("struct", "Shapes.swift::Point"), ("method", "Shapes.swift::Circle.area"),
         ("function", "main.swift::total")},
        set(), {("main.swift::total", "Shapes.swift::Circle")},
        {("Shapes.swift::Circle", "Shapes.swift::Shape")}),
    Case("scala", {
        "com/x/util/Helper.scala": """
            package com.x.util
            object Helper { def scale(x: Int): Int = x }
            """,
        "com/x/App.scala": """
            package com.x
            import com.x.util.Helper
            trait Base
            trait Logging
            class App extends Base with Logging { def run(): Int = Helper.scale(1) }
            """},
        {("object", "com/x/util/Helper.scala::Helper"),
         ("method", "com/x/util/Helper.scala::Helper.scale"),
         ("trait", "com/x/App.scala::Base"), ("method", "com/x/App.scala::App.run")},
        {("com/x/App.scala", "com/x/util/Helper.scala")},
        {("com/x/App.scala::App.run", "com/x/util/Helper.scala::Helper.scale")},
        {("com/x/App.scala::App", "com/x/App.scala::Base"),
         ("com/x/App.scala::App", "com/x/App.scala::Logging")}),
    Case("bash", {
        "lib/util.sh": "helper() {\n  echo hi\n}\n",
        "main.sh": "#!/bin/bash\nsource ./lib/util.sh\nmain() {\n  helper\n}\nmain\n"},
        {("function", "lib/util.sh::helper"), ("function", "main.sh::main")},
        {("main.sh", "lib/util.sh")}, {("main.sh::main", "lib/util.sh::helper")}),
    Case("lua", {
        "util/helper.lua": "local M = {}\nfunction M.scale(x)\n  return x\nend\nreturn M\n",
        "main.lua": """
            local helper = require("util.helper")
            function run()
              return helper.scale(1)
            end
            """},
        {("method", "util/helper.lua::M.scale"), ("function", "main.lua::run")},
        {("main.lua", "util/helper.lua")}, {("main.lua::run", "util/helper.lua::M.scale")}),
    Case("elixir", {
        "lib/geo/shape_util.ex": """
            defmodule Geo.ShapeUtil do
              def scale(x), do: x * 2
            end
            """,
        "lib/geo/circle.ex": """
            defmodule Geo.Circle do
              alias Geo.ShapeUtil
              def area(r) do
                if r > 0, do: ShapeUtil.scale(r), else: 0
              end
            end
            """},
        {("module", "lib/geo/circle.ex::Geo.Circle"),
         ("method", "lib/geo/circle.ex::Geo.Circle.area"),
         ("method", "lib/geo/shape_util.ex::Geo.ShapeUtil.scale")},
        {("lib/geo/circle.ex", "lib/geo/shape_util.ex")},
        {("lib/geo/circle.ex::Geo.Circle.area", "lib/geo/shape_util.ex::Geo.ShapeUtil.scale")}),
]


def test_at_least_seventeen_languages_are_supported():
    assert len(LANGUAGES) >= 17


@pytest.mark.parametrize("language", [spec.name for spec in LANGUAGES])
def test_every_language_query_compiles_and_survives_garbage(language: str):
    compiled_query(language)
    facts = extract_facts(b"\x00\xff not really { code ( at all", language)
    assert facts.language == language


@pytest.mark.parametrize("case", CASES, ids=[c.language for c in CASES])
def test_fixture_repository_yields_known_symbols_imports_and_calls(case: Case,
                                                                    make_repo: RepoFactory):
    root = make_repo(case.files)
    summary = build_graph(root, workers=1)
    assert summary.languages.get(case.language, 0) >= 2 or case.language in ("c", "cpp")
    graph = load_graph(root)
    assert graph is not None
    g = graph.graph
    symbols = {(d["kind"], n) for n, d in g.nodes(data=True) if d["kind"] != "file"}
    assert case.symbols <= symbols
    edges = {(k, u, v) for u, v, k in g.edges(keys=True)}
    assert {("imports", u, v) for u, v in case.imports} <= edges
    assert {("calls", u, v) for u, v in case.calls} <= edges
    assert {("inherits", u, v) for u, v in case.inherits} <= edges


@pytest.mark.parametrize(("path", "language"), [
    ("a/b.py", "python"), ("x.tsx", "tsx"), ("x.d.ts", "typescript"), ("m.mjs", "javascript"),
    ("lib.rs", "rust"), ("x.hpp", "cpp"), ("x.h", "c"), ("Rakefile", "ruby"),
    ("build.gradle.kts", "kotlin"), ("README.md", None), ("Makefile", None), (".bashrc", None),
])
def test_language_is_chosen_by_file_name(path: str, language: str | None):
    assert language_for_path(path) == language


@pytest.mark.parametrize(("path", "is_test"), [
    ("tests/test_x.py", True), ("pkg/test_x.py", True), ("x_test.go", True),
    ("src/a.spec.ts", True), ("src/a.test.js", True), ("FooTest.java", True),
    ("spec/foo_spec.rb", True), ("conftest.py", True),
    ("src/latest.py", False), ("contest.py", False), ("src/app.ts", False),
])
def test_test_files_are_recognised_by_naming_convention(path: str, is_test: bool):
    assert is_test_path(path) is is_test


def test_headers_with_cpp_constructs_are_read_as_cpp(make_repo: RepoFactory):
    root = make_repo({
        "plain.h": "struct point { int x; };\nint area(int r);\n",
        "shapes.h": """
            namespace geo {
            class Circle { public: double area() const { return 1; } };
            }
            """,
    })
    summary = build_graph(root, workers=1)
    assert summary.languages == {"c": 1, "cpp": 1}
    graph = load_graph(root)
    assert graph is not None
    assert graph.graph.nodes["shapes.h::geo.Circle.area"]["kind"] == "method"
    assert build_graph(root, workers=1).parsed == 0  # and it stays C++ without re-parsing
