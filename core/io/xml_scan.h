// File: xml_scan.h
//
// ScanXml: the elements of an XML document as a flat list (name, attributes,
// parent), for reading small instrument sidecars such as Open Ephys's
// settings.xml. Text content, comments, processing instructions, CDATA and
// DOCTYPE are skipped; the five predefined entities and numeric character
// references in attribute values are decoded. Malformed markup (an unclosed
// tag, a mismatched end tag, an attribute without a quoted value) is an
// InvalidArgument naming the byte offset.
//
// Example:
//   NF_ASSIGN_OR_RETURN(std::vector<XmlElement> els, ScanXml(text, "settings.xml"));
//   for (const XmlElement& e : els) if (e.name == "NP_PROBE") ...
#ifndef NEUROFEAT_CORE_IO_XML_SCAN_H_
#define NEUROFEAT_CORE_IO_XML_SCAN_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace neurofeat {

struct XmlElement {
  std::string name;
  std::vector<std::pair<std::string, std::string>> attributes;  // in document order
  int64_t parent = -1;  // index into the scanned list; -1 for the root

  // The attribute's value, or nullptr.
  const std::string* Find(absl::string_view attribute) const;
};

// `what` names the document in errors. At most `max_elements` elements.
absl::StatusOr<std::vector<XmlElement>> ScanXml(absl::string_view text, absl::string_view what,
                                                int64_t max_elements = 1 << 20);

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_IO_XML_SCAN_H_
