"""Layer 2: the intermediate representation (graph, text form, rewrite mechanism)."""

from npukit.ir.dtypes import dtype_name
from npukit.ir.graph import Dim, Graph, Node, Shape, Value
from npukit.ir.quant import QuantParams
from npukit.ir.rewrite import Firing, Patch, Rule, apply_patch, rewrite
from npukit.ir.text import parse_graph, print_graph, quant_tensors

__all__ = ["Dim", "Firing", "Graph", "Node", "Patch", "QuantParams", "Rule", "Shape", "Value",
           "apply_patch", "dtype_name", "parse_graph", "print_graph", "quant_tensors", "rewrite"]
