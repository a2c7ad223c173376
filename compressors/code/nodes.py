"""Tree-sitter node types, a union over the grammars Trimline outlines (names
rarely clash in meaning across grammars)."""

from __future__ import annotations

import re

_FUNCS = frozenset(
    {
        "function_definition",  # Python, C, C++, PHP
        "function_declaration",  # JS/TS, Go, Kotlin, Swift
        "generator_function_declaration",
        "method_definition",  # JS/TS
        "function_expression",
        "generator_function",
        "arrow_function",
        "method_declaration",  # Go, Java, C#, PHP
        "func_literal",
        "function_item",  # Rust
        "constructor_declaration",  # Java, C#
        "compact_constructor_declaration",
        "destructor_declaration",
        "operator_declaration",
        "conversion_operator_declaration",
        "local_function_statement",
        "method",  # Ruby
        "singleton_method",
        "secondary_constructor",  # Kotlin
        "anonymous_initializer",
        "anonymous_function",
        "init_declaration",  # Swift
        "deinit_declaration",
    }
)
# Declarations whose members are listed one by one (their body is recursed into).
_DECLS = frozenset(
    {
        "class_definition",
        "class_declaration",
        "abstract_class_declaration",
        "class",
        "interface_declaration",
        "enum_declaration",
        "internal_module",
        "module",
        "record_declaration",
        "annotation_type_declaration",
        "struct_item",
        "enum_item",
        "union_item",
        "trait_item",
        "impl_item",
        "mod_item",
        "foreign_mod_item",
        "struct_specifier",
        "union_specifier",
        "enum_specifier",
        "class_specifier",
        "namespace_definition",
        "namespace_declaration",
        "file_scoped_namespace_declaration",
        "struct_declaration",
        "trait_declaration",
        "object_declaration",
        "companion_object",
        "protocol_declaration",
        "singleton_class",
        "type_declaration",
        "type_alias_declaration",
        "object_definition",
        "trait_definition",
    }
)
# Wrappers and bodies: transparent, their children are looked at one by one.
_CONTAINERS = _DECLS | frozenset(
    {
        "ERROR",
        "program",
        "source_file",
        "translation_unit",
        "compilation_unit",
        "decorated_definition",
        "export_statement",
        "ambient_declaration",
        "template_declaration",
        "linkage_specification",
        "type_spec",
        "const_declaration",
        "var_declaration",
        "var_spec_list",
        "interface_type",
        "struct_type",
        "class_body",
        "interface_body",
        "enum_body",
        "enum_body_declarations",
        "enum_class_body",
        "protocol_body",
        "annotation_type_body",
        "declaration_list",
        "field_declaration_list",
        "enum_variant_list",
        "enum_member_declaration_list",
        "object_type",
        "block",
        "body_statement",
        "statement_block",
        "template_body",
        "preproc_if",
        "preproc_ifdef",
        "preproc_else",
        "preproc_elif",
    }
)
_IMPORTS = frozenset(
    {
        "import_statement",
        "import_from_statement",
        "future_import_statement",
        "import_declaration",
        "use_declaration",
        "extern_crate_declaration",
        "using_directive",
        "namespace_use_declaration",
        "package_clause",
        "package_declaration",
        "package_header",
        "import_list",
        "import_header",
        "preproc_include",
    }
)
_COMMENTS = frozenset(
    {"comment", "line_comment", "block_comment", "doc_comment", "multiline_comment"}
)
_BODIES = frozenset(
    {
        "block",
        "statement_block",
        "compound_statement",
        "constructor_body",
        "function_body",
        "body_statement",
        "class_body",
        "declaration_list",
    }
)
_ANONYMOUS = frozenset(
    {
        "arrow_function",
        "function_expression",
        "generator_function",
        "func_literal",
        "anonymous_function",
    }
)
_NAMED_PARTS = frozenset(
    {
        "variable_declarator",
        "init_declarator",
        "const_spec",
        "var_spec",
        "type_spec",
        "assignment",
        "assignment_expression",
    }
)
_DECLARATION_LIKE = re.compile(r"assign|declar|_item|field|const|var|let|property|static")
_NAMES = frozenset(
    {
        "identifier",
        "simple_identifier",
        "type_identifier",
        "property_identifier",
        "field_identifier",
        "constant",
        "name",
    }
)

_FULL_NAMES = _NAMES | {"qualified_identifier", "destructor_name", "operator_name"}
