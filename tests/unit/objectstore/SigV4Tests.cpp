// AWS Signature Version 4 against AWS's published vectors, copied verbatim:
//  - "aws-sig-v4-test-suite" (2015-08-30; Apache-2.0, as kept in boto/botocore
//    tests/unit/auth/aws4_testsuite and awslabs/aws-c-auth tests/aws-signing-test-suite/v4);
//  - the Amazon S3 API reference's examples (sig-v4-header-based-auth.html,
//    sigv4-query-string-auth.html), examplebucket on 2013-05-24.
// Each case checks every published step: the canonical request, the string to sign, the signature.

#include "objectstore/SigV4.hpp"

#include <catch2/catch.hpp>

using namespace dagda::objectstore;

namespace {

const std::string empty_hash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

// The suite's fixed inputs (service "service", not S3: the cases chosen are those whose paths S3's
// no-normalization rule signs the same way).
const Credentials suite_keys{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"};
const AmzTime suite_time{"20150830T123600Z"};

// The S3 reference's inputs.
const Credentials s3_keys{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"};
const AmzTime s3_time{"20130524T000000Z"};

struct Vector {
    SignableRequest request;
    std::string canonical, to_sign, authorization;
};

void check_suite(const Vector& v) {
    CHECK(canonical_request(v.request) == v.canonical);
    CHECK(string_to_sign(suite_time, credential_scope(suite_time, "us-east-1", "service"), v.canonical) == v.to_sign);
    CHECK(authorization(v.request, suite_keys, suite_time, "us-east-1", "service") == v.authorization);
}

// The S3 pages print the header with no space after its commas; AWS reads both forms.
std::string without_comma_spaces(std::string text) {
    for (std::size_t at; (at = text.find(", ")) != std::string::npos;) text.erase(at + 1, 1);
    return text;
}

void check_s3(const Vector& v) {
    CHECK(canonical_request(v.request) == v.canonical);
    CHECK(string_to_sign(s3_time, credential_scope(s3_time, "us-east-1", "s3"), v.canonical) == v.to_sign);
    CHECK(without_comma_spaces(authorization(v.request, s3_keys, s3_time, "us-east-1")) == v.authorization);
}

}  // namespace

TEST_CASE("SigV4 suite: get-vanilla", "[objectstore][sigv4]") {
    check_suite({{"GET", "/", {}, {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}}, empty_hash},
                 "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" + empty_hash,
                 "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
                 "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
                 "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, "
                 "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"});
}

TEST_CASE("SigV4 suite: get-vanilla-query-order-key-case sorts the query", "[objectstore][sigv4]") {
    check_suite({{"GET", "/", {{"Param2", "value2"}, {"Param1", "value1"}}, {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}}, empty_hash},
                 "GET\n/\nParam1=value1&Param2=value2\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" + empty_hash,
                 "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
                 "816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0",
                 "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, "
                 "Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"});
}

TEST_CASE("SigV4 suite: get-header-value-trim trims and folds blanks", "[objectstore][sigv4]") {
    check_suite({{"GET", "/", {}, {{"Host", "example.amazonaws.com"}, {"My-Header1", " value1"}, {"My-Header2", " \"a   b   c\""}, {"X-Amz-Date", "20150830T123600Z"}}, empty_hash},
                 "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value1\nmy-header2:\"a b c\"\nx-amz-date:20150830T123600Z\n\n"
                 "host;my-header1;my-header2;x-amz-date\n" + empty_hash,
                 "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
                 "a726db9b0df21c14f559d0a978e563112acb1b9e05476f0a6a1c7d68f28605c7",
                 "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
                 "SignedHeaders=host;my-header1;my-header2;x-amz-date, Signature=acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"});
}

TEST_CASE("SigV4 suite: post-vanilla", "[objectstore][sigv4]") {
    check_suite({{"POST", "/", {}, {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}}, empty_hash},
                 "POST\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" + empty_hash,
                 "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
                 "553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87",
                 "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, "
                 "Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"});
}

TEST_CASE("SigV4 suite: get-slash-dot-slash unnormalized, as S3 signs a path", "[objectstore][sigv4]") {
    const SignableRequest request{"GET", "/./", {}, {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}}, empty_hash};
    const std::string canonical = "GET\n/./\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" + empty_hash;
    CHECK(canonical_request(request) == canonical);
    const std::string to_sign = string_to_sign(suite_time, credential_scope(suite_time, "us-east-1", "service"), canonical);
    CHECK(to_sign.ends_with("d67825e2268bd77a97c7688b8d72c31a3c1855b309808505ba0a9747d2465aa7"));
    CHECK(signature(signing_key(suite_keys.secret_key, "20150830", "us-east-1", "service"), to_sign) ==
          "68714168e6557f8f2de0ef956fc24dc2593a4bd2961f8df51898d8a134695145");
}

TEST_CASE("SigV4 S3: GET Object with a Range header", "[objectstore][sigv4]") {
    check_s3({{"GET", "/test.txt", {},
               {{"Host", "examplebucket.s3.amazonaws.com"}, {"Range", "bytes=0-9"}, {"x-amz-content-sha256", empty_hash}, {"x-amz-date", "20130524T000000Z"}},
               empty_hash},
              "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\nx-amz-content-sha256:" + empty_hash +
                  "\nx-amz-date:20130524T000000Z\n\nhost;range;x-amz-content-sha256;x-amz-date\n" + empty_hash,
              "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972",
              "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
              "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"});
}

TEST_CASE("SigV4 S3: PUT Object escapes '$' in the key and signs the payload", "[objectstore][sigv4]") {
    const std::string payload_hash = sha256_hex(std::string("Welcome to Amazon S3."));
    REQUIRE(payload_hash == "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
    check_s3({{"PUT", "/test$file.text", {},
               {{"Host", "examplebucket.s3.amazonaws.com"}, {"Date", "Fri, 24 May 2013 00:00:00 GMT"}, {"x-amz-date", "20130524T000000Z"},
                {"x-amz-storage-class", "REDUCED_REDUNDANCY"}, {"x-amz-content-sha256", payload_hash}},
               payload_hash},
              "PUT\n/test%24file.text\n\ndate:Fri, 24 May 2013 00:00:00 GMT\nhost:examplebucket.s3.amazonaws.com\nx-amz-content-sha256:" + payload_hash +
                  "\nx-amz-date:20130524T000000Z\nx-amz-storage-class:REDUCED_REDUNDANCY\n\ndate;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class\n" +
                  payload_hash,
              "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d",
              "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
              "SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class,Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"});
}

TEST_CASE("SigV4 S3: a sub-resource without a value is signed as key=", "[objectstore][sigv4]") {
    check_s3({{"GET", "/", {{"lifecycle", ""}},
               {{"Host", "examplebucket.s3.amazonaws.com"}, {"x-amz-date", "20130524T000000Z"}, {"x-amz-content-sha256", empty_hash}}, empty_hash},
              "GET\n/\nlifecycle=\nhost:examplebucket.s3.amazonaws.com\nx-amz-content-sha256:" + empty_hash +
                  "\nx-amz-date:20130524T000000Z\n\nhost;x-amz-content-sha256;x-amz-date\n" + empty_hash,
              "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n9766c798316ff2757b517bc739a67f6213b4ab36dd5da2f94eaebf79c77395ca",
              "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;x-amz-content-sha256;x-amz-date,"
              "Signature=fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"});
}

TEST_CASE("SigV4 S3: list objects with max-keys and prefix", "[objectstore][sigv4]") {
    check_s3({{"GET", "/", {{"prefix", "J"}, {"max-keys", "2"}},
               {{"Host", "examplebucket.s3.amazonaws.com"}, {"x-amz-date", "20130524T000000Z"}, {"x-amz-content-sha256", empty_hash}}, empty_hash},
              "GET\n/\nmax-keys=2&prefix=J\nhost:examplebucket.s3.amazonaws.com\nx-amz-content-sha256:" + empty_hash +
                  "\nx-amz-date:20130524T000000Z\n\nhost;x-amz-content-sha256;x-amz-date\n" + empty_hash,
              "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\ndf57d21db20da04d7fa30298dd4488ba3a2b47ca3a489c74750e0f1e7df1b9b7",
              "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;x-amz-content-sha256;x-amz-date,"
              "Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"});
}

TEST_CASE("SigV4 S3: the pre-signed URL of the reference's example", "[objectstore][sigv4]") {
    const SignableRequest request{"GET", "/test.txt", {}, {{"Host", "examplebucket.s3.amazonaws.com"}}, ""};
    CHECK(presigned_url("https://examplebucket.s3.amazonaws.com", request, s3_keys, s3_time, std::chrono::seconds(86400), "us-east-1") ==
          "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
          "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
}

TEST_CASE("SigV4: a pre-signed URL refuses a lifetime S3 would refuse", "[objectstore][sigv4]") {
    const SignableRequest request{"GET", "/a", {}, {{"Host", "h"}}, ""};
    CHECK_THROWS_WITH(presigned_url("http://h", request, s3_keys, s3_time, std::chrono::seconds(0), "us-east-1"), Catch::Contains("1 second to 7 days"));
    CHECK_THROWS_WITH(presigned_url("http://h", request, s3_keys, s3_time, std::chrono::hours(24 * 8), "us-east-1"), Catch::Contains("1 second to 7 days"));
}

TEST_CASE("SigV4: keys with spaces, slashes and non-ASCII bytes are escaped once", "[objectstore][sigv4]") {
    CHECK(canonical_uri("/bucket/srv 01/g1.tib") == "/bucket/srv%2001/g1.tib");
    CHECK(canonical_uri("/b/caf\xc3\xa9") == "/b/caf%C3%A9");
    CHECK(canonical_query({{"prefix", "srv01/"}, {"list-type", "2"}}) == "list-type=2&prefix=srv01%2F");
    CHECK(amz_time(std::chrono::system_clock::from_time_t(1369353600)).stamp == "20130524T000000Z");
}
