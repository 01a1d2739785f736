"""Case labels from CSVs and from the layouts that carry them; bad label files are one line."""

import pandas as pd
import pytest

from conftest import REAL_CASE, make_suffixed
from smart_brains.cli import main
from smart_brains.data.case_labels import (
    labels_from_dataset,
    load_labels,
    patient_id,
    read_label_file,
)
from smart_brains.errors import DataError

IDS = [f"BraTS2021_{i:05d}" for i in (2, 3, 5, 6)]


def write(path, text):
    path.write_text(text)
    return path


def test_rsna_ids_stay_text_and_match_brats2021_cases(tmp_path):
    csv = write(
        tmp_path / "train_labels.csv", "BraTS21ID,MGMT_value\n00002,1\n00003,0\n00005,1\n00006,0\n"
    )
    labels = read_label_file(csv, "MGMT_value", IDS)
    assert labels.values == {
        "BraTS2021_00002": "1",
        "BraTS2021_00003": "0",
        "BraTS2021_00005": "1",
        "BraTS2021_00006": "0",
    }
    assert labels.classes == ["0", "1"]


def test_empty_target_leaves_a_case_out_and_is_counted(tmp_path):
    csv = write(
        tmp_path / "l.csv",
        "case_id,grade\n" + "".join(f"{c},{g}\n" for c, g in zip(IDS, ["HGG", "", "LGG", "HGG"])),
    )
    labels = read_label_file(csv, "grade", IDS)
    assert labels.left_out == 1 and sorted(labels.known) == [IDS[0], IDS[2], IDS[3]]


def test_a_partial_file_labels_what_it_lists_and_counts_the_rest(tmp_path):
    """RSNA's train_labels.csv covers about half of BraTS 2021: fit on the labelled ones."""
    csv = write(tmp_path / "l.csv", "BraTS21ID,MGMT_value\n00002,1\n00003,0\n")
    labels = read_label_file(csv, "MGMT_value", IDS)
    assert labels.known == {"BraTS2021_00002": "1", "BraTS2021_00003": "0"}
    assert labels.left_out == 2


def test_rsna_ids_reach_brats_2023_cases(tmp_path):
    ids = ["BraTS-GLI-00002-000", "BraTS-GLI-00002-001", "BraTS-GLI-00003-000"]
    csv = write(tmp_path / "l.csv", "BraTS21ID,MGMT_value\n00002,1\n00003,0\n")
    labels = read_label_file(csv, "MGMT_value", ids)
    assert labels.known == {"BraTS-GLI-00002-000": "1", "BraTS-GLI-00003-000": "0"}


@pytest.mark.parametrize(
    "text, message",
    [
        (
            "case_id,grade\nBraTS2021_00002,HGG\nBraTS2021_00002,LGG\nBraTS2021_00003,LGG\nBraTS2021_00005,HGG\nBraTS2021_00006,HGG\n",
            "more than once",
        ),
        ("case_id,grade\n,HGG\nBraTS2021_00003,LGG\n", "empty case_id"),
        (
            "case_id,grade\nBraTS2021_00002,HGG\nBraTS2021_00003,LGG\nBraTS2021_00005,HGG\nBraTS2021_00006,HGG\nBraTS2021_09999,LGG\n",
            "1 ids match no case",
        ),
        (
            "case_id,grade\nBraTS2021_00002,HGG\nBraTS2021_00003,HGG\nBraTS2021_00005,HGG\nBraTS2021_00006,HGG\n",
            "one class only (HGG)",
        ),
        ("case_id,kind\nBraTS2021_00002,glioma\n", "no column 'grade'"),
        ("subject,grade\nBraTS2021_00002,HGG\n", "no case-id column"),
    ],
)
def test_bad_label_files_say_what_is_wrong(tmp_path, text, message):
    with pytest.raises(
        DataError, match="l.csv: .*" + message.replace("(", r"\(").replace(")", r"\)")
    ):
        read_label_file(write(tmp_path / "l.csv", text), "grade", IDS)


def test_brats2020_name_mapping_and_the_2021_link(tmp_path):
    mapping = write(
        tmp_path / "name_mapping.csv",
        "Grade,BraTS_2017_subject_ID,BraTS_2018_subject_ID,TCGA_TCIA_subject_ID,BraTS_2019_subject_ID,BraTS_2020_subject_ID\n"
        "HGG,Brats17_CBICA_AAB_1,Brats18_CBICA_AAB_1,NA,BraTS19_CBICA_AAB_1,BraTS20_Training_001\n"
        "LGG,Brats17_2013_0_1,Brats18_2013_0_1,TCGA-xx,BraTS19_2013_0_1,BraTS20_Training_260\n",
    )
    direct = read_label_file(mapping, "grade", ["BraTS20_Training_001", "BraTS20_Training_260"])
    assert direct.values == {"BraTS20_Training_001": "HGG", "BraTS20_Training_260": "LGG"}
    with pytest.raises(DataError, match="BraTS21-17_Mapping.csv"):
        read_label_file(mapping, "grade", IDS)
    write(tmp_path / "BraTS21-17_Mapping.csv",
          "BraTS2021,BraTS2020,BraTS2019,BraTS2018,BraTS2017\n"
          "BraTS2021_00002,BraTS20_Training_001,,,\nBraTS2021_00003,BraTS20_Training_260,,,\n"
          "BraTS2021_00005,NA,,,\n")  # fmt: skip
    linked = read_label_file(mapping, "grade", IDS)
    assert linked.known == {"BraTS2021_00002": "HGG", "BraTS2021_00003": "LGG"}
    assert linked.left_out == 2


def test_brats2019_name_mapping_without_a_2020_column(tmp_path):
    """BraTS 2019's file (no BraTS_2020_subject_ID column; 'NA' in the TCGA column), the
    synthetic twin of the real file's test below, which needs ../shared."""
    mapping = write(
        tmp_path / "name_mapping.csv",
        "Grade,BraTS_2017_subject_ID,BraTS_2018_subject_ID,TCGA_TCIA_subject_ID,BraTS_2019_subject_ID\n"
        "HGG,Brats17_CBICA_AAB_1,Brats18_CBICA_AAB_1,NA,BraTS19_CBICA_AAB_1\n"
        "LGG,Brats17_TCIA_103_1,Brats18_TCIA10_103_1,TCGA-DU-5872,BraTS19_TCIA10_103_1\n"
        "HGG,Brats17_CBICA_ABB_1,Brats18_CBICA_ABB_1,NA,BraTS19_CBICA_ABB_1\n",
    )
    g19 = read_label_file(mapping, "grade", ["BraTS19_CBICA_AAB_1", "BraTS19_TCIA10_103_1"])
    assert g19.known == {"BraTS19_CBICA_AAB_1": "HGG", "BraTS19_TCIA10_103_1": "LGG"}
    assert g19.classes == ["HGG", "LGG"] and g19.left_out == 0


def test_hgg_lgg_folders_and_brats2023_prefixes(tmp_path):
    root = tmp_path / "MICCAI_BraTS_2019_Data_Training"
    folders = {}
    for grade, case_id in (("HGG", "BraTS19_CBICA_AAB_1"), ("LGG", "BraTS19_2013_0_1")):
        folders[case_id] = make_suffixed(root / grade, case_id)
    labels = labels_from_dataset(root, "grade", list(folders), folders)
    assert labels.values == {"BraTS19_CBICA_AAB_1": "HGG", "BraTS19_2013_0_1": "LGG"}
    ids = ["BraTS-GLI-00001-000", "BraTS-MEN-00002-000", "BraTS-MET-00003-000"]
    kinds = labels_from_dataset(tmp_path, "kind", ids, {})
    assert list(kinds.values.values()) == ["glioma", "meningioma", "metastasis"]
    with pytest.raises(DataError, match="carries no 'grade' labels"):
        load_labels(tmp_path, "grade", ids, folders={i: tmp_path for i in ids})


def test_patients_of_brats2023_time_points():
    assert (
        patient_id("BraTS-GLI-00123-001") == patient_id("BraTS-GLI-00123-000") == "BraTS-GLI-00123"
    )
    assert patient_id("BraTS2021_00123") == "BraTS2021_00123"


def test_cli_bad_target_is_one_line_exit_2(tmp_path, capsys):
    root = tmp_path / "data"
    for i in range(2):
        make_suffixed(root, f"BraTS2021_{i:05d}", seed=i)
    write(root / "labels.csv", "case_id,grade\nBraTS2021_00000,HGG\nBraTS2021_00001,LGG\n")
    assert (
        main(
            [
                "classify",
                "fit",
                str(root),
                "--out",
                str(tmp_path / "m"),
                "--target",
                "mgmt",
                "--seg",
                "reference",
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "labels.csv: no column 'mgmt'" in err and "Traceback" not in err
    assert not (tmp_path / "m").exists()


LABEL_FILES = REAL_CASE.parent.parent / "label-files"


@pytest.fixture
def label_files():
    if not LABEL_FILES.is_dir():
        pytest.skip(f"real label files not found at {LABEL_FILES} (they live in ../shared)")
    return LABEL_FILES


def test_the_real_brats_label_files(label_files, tmp_path):
    """BraTS 2019's and 2020's name_mapping.csv, and 2021 ids through BraTS21-17_Mapping.csv."""
    g19 = read_label_file(
        label_files / "brats2019-name_mapping.csv",
        "grade",
        ["BraTS19_CBICA_AAB_1", "BraTS19_TCIA10_103_1"],
    )
    assert g19.known == {"BraTS19_CBICA_AAB_1": "HGG", "BraTS19_TCIA10_103_1": "LGG"}
    ids20 = [f"BraTS20_Training_{i:03d}" for i in range(1, 370)]
    g20 = read_label_file(label_files / "brats2020-name_mapping.csv", "grade", ids20)
    assert len(g20.known) == 369 and g20.classes == ["HGG", "LGG"]
    mapping = pd.read_csv(label_files / "BraTS21-17_Mapping.csv", dtype=str)
    ids21 = list(mapping["BraTS2021"].dropna())  # 4 trailing rows name no 2021 case
    g21 = read_label_file(label_files / "brats2020-name_mapping.csv", "grade", ids21)
    assert len(ids21) == 1251 and len(g21.known) == 365  # the 365 with a BraTS 2020 id
    survival = read_label_file(
        label_files / "brats2020-survival_info.csv",
        "Extent_of_Resection",
        ids20[:236],
        other_rows=True,
    )
    assert set(survival.known.values()) >= {"GTR"}


def test_a_file_that_is_not_utf8_names_the_byte(tmp_path):
    path = tmp_path / "l.csv"
    path.write_bytes(
        b"case_id,grade\n" + b"BraTS2021_00002,HGG\n" * 3000 + b"BraTS2021_00003,L\xe9G\n"
    )
    with pytest.raises(DataError, match=r"not UTF-8 at byte 60031 \(line 3002, column 18"):
        read_label_file(path, "grade", IDS)
