#pragma once
/// The XML documents S3 answers with (ListObjectsV2, multipart uploads, errors), read with
/// libxml2: one xmlDoc per S3Xml. Elements are matched by local name, so a store that writes
/// S3's namespace and one that writes none read alike. A document that does not parse is an
/// Error naming what was asked.

#include <string>
#include <vector>

struct _xmlDoc;
struct _xmlNode;

namespace dagda::objectstore {

class S3Xml {
public:
    /// Parses `text` (no network access, no entity expansion); throws Error{failed} with `what`.
    S3Xml(const std::string& text, const std::string& what);
    S3Xml(const S3Xml&) = delete;
    S3Xml& operator=(const S3Xml&) = delete;
    ~S3Xml();

    using Node = const _xmlNode*;
    Node root() const;
    /// The local name of `node` ("ListBucketResult").
    static std::string name(Node node);
    /// The element children of `node` named `child`, in document order.
    static std::vector<Node> children(Node node, const std::string& child);
    /// The text of `node`'s first child named `child`, or "" when it has none.
    static std::string text(Node node, const std::string& child);

private:
    _xmlDoc* doc_;
};

}  // namespace dagda::objectstore
