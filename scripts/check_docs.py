#!/usr/bin/env python3
"""check_docs.py — fails when the API reference is incomplete.

    python3 scripts/check_docs.py [DOC_DIR]     (default build/doc)

Run after Doxygen (`scons doc` does both). Two checks:
  * every public function declared in include/mx/*.h has a brief
    description in Doxygen's XML output (found by reading the headers
    themselves, so a header Doxygen skipped cannot pass);
  * Doxygen's warnings log is empty (undocumented types, fields, enum
    values and macros, or broken markup in a comment).
"""
import glob
import os
import re
import sys
import xml.etree.ElementTree as ET

DECL = re.compile(r'^(?!typedef|#|static|extern\s+"C")[A-Za-z_][\w \t\*]*?\b(mx_\w+)\s*\(', re.M)


def header_functions(root):
    found = {}
    for path in sorted(glob.glob(os.path.join(root, 'include', 'mx', '*.h'))):
        text = open(path, encoding='utf-8').read()
        text = re.sub(r'/\*.*?\*/', lambda m: '\n' * m.group(0).count('\n'), text, flags=re.S)
        for m in DECL.finditer(text):
            found.setdefault(m.group(1), os.path.relpath(path, root))
    return found


def documented_functions(xml_dir):
    done = set()
    for path in glob.glob(os.path.join(xml_dir, '*.xml')):
        tree = ET.parse(path)
        for md in tree.iter('memberdef'):
            if md.get('kind') != 'function':
                continue
            name = md.findtext('name')
            brief = ''.join(md.find('briefdescription').itertext()).strip()
            detail = ''.join(md.find('detaileddescription').itertext()).strip()
            if brief or detail:
                done.add(name)
    return done


def main(argv):
    root = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
    doc = argv[0] if argv else os.path.join(root, 'build', 'doc')
    log = os.path.join(doc, 'warnings.log')
    xml_dir = os.path.join(doc, 'xml')
    if not os.path.isfile(log) or not os.path.isdir(xml_dir):
        print('check_docs: %s: no Doxygen output (warnings.log, xml/): run doxygen docs/Doxyfile first' % doc)
        return 2
    funcs = header_functions(root)
    done = documented_functions(xml_dir)
    missing = sorted(f for f in funcs if f not in done)
    warnings = [l.rstrip() for l in open(log, encoding='utf-8', errors='replace') if l.strip()]
    for f in missing:
        print('check_docs: %s: public function %s has no comment in the API reference' % (funcs[f], f))
    for w in warnings:
        print('check_docs: doxygen: ' + w.replace(root + '/', ''))
    headers = len(set(funcs.values()))
    if missing or warnings:
        print('check_docs: %d undocumented public functions, %d Doxygen warnings (of %d functions in %d headers)'
              % (len(missing), len(warnings), len(funcs), headers))
        return 1
    print('check_docs: %d public functions in %d headers, every one documented; no Doxygen warnings'
          % (len(funcs), headers))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
