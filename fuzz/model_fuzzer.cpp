// model_fuzzer.cpp: a libFuzzer target for the model-file reader of common/model_file.hpp.
//
// Each input is taken as a model file with its checksum recomputed (fuzz_support.hpp), so
// the mutations reach past the CRC into the parameters and the network built from them.
// The reader must answer with a network or with nn::ModelError: anything else (another
// exception, a crash, an out-of-bounds access, undefined behaviour, a leak, a broken
// promise below) is a finding. Run it with fuzz/run.sh model.
#include "common/model_file.hpp"
#include "fuzz/fuzz_support.hpp"

namespace {

template <typename Real>
void load(const std::string& bytes) {
  try {
    const nn::ModelHeader header = nn::read_model_header(bytes, "fuzz input");
    nn::Network<Real> net = nn::model_from_bytes<Real>(bytes, "fuzz input");
    // The promises: the network is the header's, every parameter is finite, and saving
    // it gives back exactly the bytes that were read (a version 1 or 2 file is saved as
    // version 3, which must then load to the same network).
    fuzz::check(header.element_bytes == sizeof(Real));
    fuzz::check(net.all_layers().size() == header.layers.size());
    for (std::size_t k = 0; k < header.layers.size(); ++k) {
      const nn::LayerRecord r =
          std::visit([](const auto& x) { return nn::record_of(x); }, net.all_layers()[k]);
      const nn::LayerRecord& h = header.layers[k];
      fuzz::check(r.kind == h.kind && r.n_inputs == h.n_inputs && r.n_outputs == h.n_outputs &&
                  r.activation == h.activation && r.image == h.image && r.side == h.side &&
                  r.padding == h.padding && nn::stored_values(r) == h.n_values);
    }
    for (std::size_t l = 0; l < net.n_layers(); ++l)
      fuzz::check(net.layer(l).W.is_finite() && net.layer(l).b.is_finite());
    const std::string saved = nn::model_to_bytes(net);
    if (header.version == nn::kModelFormatVersion) {
      fuzz::check(saved == bytes);
    } else {
      fuzz::check(nn::model_to_bytes(nn::model_from_bytes<Real>(saved, "saved")) == saved);
    }
  } catch (const nn::ModelError&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string bytes = fuzz::with_valid_checksum(data, size);
  load<float>(bytes);
  load<double>(bytes);
  return 0;
}
