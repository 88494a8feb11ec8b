"""E-contracts (电子合同): templates of an enterprise, a contract per employment rendered as a
PDF with its Chinese text, sent to the worker, signed by the worker on their own pages."""
