"""A first end-to-end pass over the headless loop, so the core is exercised from day one."""

from tui_annotate.core.session import AnnotationSession


def test_rate_undo_resume(sample_repo, faithfulness):
    session = AnnotationSession(sample_repo, faithfulness, "ana")
    session.start()
    first = session.current_id
    assert first is not None
    session.set_tags(("wrong-number",))
    session.rate(4)
    second = session.current_id
    assert second not in (None, first)
    assert session.undo()
    assert session.current_id == first
    assert sample_repo.current_label(first, "faithfulness", "ana") is None
    assert session.draft.tags == ("wrong-number",)
    session.rate(2)
    label = sample_repo.current_label(first, "faithfulness", "ana")
    assert label is not None and label.score == 2
    resumed = AnnotationSession(sample_repo, faithfulness, "ana")
    resumed.start()
    assert resumed.current_id == second
